fn main() {
    let path = std::env::args().nth(1).unwrap();
    let mut parser = evtx::EvtxParser::from_path(path).unwrap();
    for r in parser.records_json_value() {
        match r {
            Ok(r) => println!("{}\t{}", r.event_record_id, serde_json::to_string(&r.data).unwrap()),
            Err(e) => println!("ERR {e}"),
        }
    }
}
