fn main() {
    use safeguard_review::*;
    let files: Vec<_> = std::env::args()
        .skip(1)
        .map(|p| review::ReviewInput {
            path: p.into(),
            format: None,
        })
        .collect();
    let tz = jiff::tz::TimeZone::UTC;
    let opts = review::ReviewOptions {
        readers: readers::ReaderOptions::new(std::env::var("YEAR").ok().and_then(|y| y.parse().ok()).unwrap_or(2024), tz.clone()),
        rules: rules::RuleConfig::default(),
        practice_time_zone: tz,
        roster: None,
        from: None,
        to: None,
    };
    match review::run_review(&files, opts, &review::NoProgress) {
        Ok(r) => {
            for s in &r.sources {
                println!("SOURCE {} {} events={} unreadable={}", s.path, s.format, s.events, s.unreadable);
            }
            for f in &r.findings {
                println!(
                    "({:?}, {:?}, {:?}, {}, \"{}\", \"{}\"),",
                    f.rule.id(),
                    f.account.as_deref().or(f.client.as_deref()).unwrap_or(""),
                    f.severity,
                    f.count,
                    f.first_seen,
                    f.last_seen
                );
            }
        }
        Err(e) => println!("ERROR {e}"),
    }
}
