//! Tests of `safeguard demo`'s log folder setting, run as the built binary so that the flag and
//! `SAFEGUARD_REVIEW_LOG_FOLDERS` are read exactly as an operator's shell passes them.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long the demo may take to seed its database and print its sign-ins.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);

/// Returns `safeguard demo` with `arguments` and `variables`, on a port the system picks.
fn demo_command(arguments: &[&str], variables: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_safeguard"));
    command.args(["demo", "--listen", "127.0.0.1:0"]).args(arguments);
    // Variables of the shell running the tests must not change what the binary reads.
    for (name, _) in std::env::vars() {
        if name.starts_with("SAFEGUARD_") {
            command.env_remove(name);
        }
    }
    command.envs(variables.iter().copied());
    command
}

/// Starts the demo and returns its standard output lines up to the one about stopping it with
/// Ctrl-C, which it prints last. Stops the demo before returning.
fn demo_startup_lines(arguments: &[&str], variables: &[(&str, &str)]) -> Vec<String> {
    let mut child = demo_command(arguments, variables)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the safeguard binary");
    let stdout = child.stdout.take().expect("the demo's standard output is piped");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });

    let mut lines = Vec::new();
    let outcome = loop {
        match receiver.recv_timeout(STARTUP_TIMEOUT) {
            Ok(line) => {
                let last = line.contains("Ctrl-C");
                lines.push(line);
                if last {
                    break Ok(());
                }
            }
            Err(error) => break Err(error),
        }
    };
    let _ = child.kill();
    let _ = child.wait();

    assert!(
        outcome.is_ok(),
        "the demo did not finish starting ({outcome:?}); it printed: {lines:#?}"
    );
    lines
}

#[test]
fn demo_shows_log_folders_from_flag() {
    let folder = tempfile::tempdir().unwrap();
    let logs = folder.path().join("logs");
    std::fs::create_dir(&logs).unwrap();

    let lines = demo_startup_lines(&["--review-log-folders", logs.to_str().unwrap()], &[]);

    let expected = format!("Activity reviews may read the log files in: {}", logs.display());
    assert!(lines.contains(&expected), "{lines:#?}");
}

#[test]
fn demo_shows_log_folders_from_variable() {
    let folder = tempfile::tempdir().unwrap();
    let first = folder.path().join("auth");
    let second = folder.path().join("ehr");
    std::fs::create_dir(&first).unwrap();
    std::fs::create_dir(&second).unwrap();
    let joined = format!("{}:{}", first.display(), second.display());

    let lines = demo_startup_lines(&[], &[("SAFEGUARD_REVIEW_LOG_FOLDERS", &joined)]);

    let expected = format!(
        "Activity reviews may read the log files in: {}, {}",
        first.display(),
        second.display()
    );
    assert!(lines.contains(&expected), "{lines:#?}");
}

#[test]
fn demo_without_log_folders_prints_none() {
    let lines = demo_startup_lines(&[], &[]);

    assert!(!lines.iter().any(|line| line.contains("log files in")), "{lines:#?}");
    assert!(
        lines
            .iter()
            .any(|line| line.starts_with("Sign in at http://127.0.0.1:") && !line.contains(":0/")),
        "the sign-in link shows the port the system picked: {lines:#?}"
    );
}

#[test]
fn demo_rejects_relative_log_folder_from_variable() {
    let output = demo_command(&[], &[("SAFEGUARD_REVIEW_LOG_FOLDERS", "logs")])
        .output()
        .expect("run the safeguard binary");

    assert_eq!(output.status.code(), Some(2));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("review.log_folders entry \"logs\": not an absolute path"), "{error}");
}

#[test]
fn demo_rejects_missing_log_folder_from_flag() {
    let folder = tempfile::tempdir().unwrap();
    let missing = folder.path().join("missing");

    let output = demo_command(&["--review-log-folders", missing.to_str().unwrap()], &[])
        .output()
        .expect("run the safeguard binary");

    assert_eq!(output.status.code(), Some(2));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("create the folder or remove it"), "{error}");
}
