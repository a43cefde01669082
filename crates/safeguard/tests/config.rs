//! Tests of `safeguard config`, run as the built binary so that flags, `SAFEGUARD_*` variables
//! and the configuration file are read exactly as an operator's shell passes them.

use std::process::Command;

/// Runs `safeguard config` with `arguments` and `variables` and returns its standard output,
/// failing the test when it exits with an error.
fn config_output(arguments: &[&str], variables: &[(&str, &str)]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_safeguard"));
    command.arg("config").args(arguments);
    // Variables of the shell running the tests must not change what the binary reads.
    for (name, _) in std::env::vars() {
        if name.starts_with("SAFEGUARD_") {
            command.env_remove(name);
        }
    }
    command.envs(variables.iter().copied());

    let output = command.output().expect("run the safeguard binary");
    assert!(
        output.status.success(),
        "safeguard config failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("the output is UTF-8")
}

#[test]
fn config_shows_log_folders_from_variable() {
    let folder = tempfile::tempdir().unwrap();
    let first = folder.path().join("auth");
    let second = folder.path().join("ehr");
    std::fs::create_dir(&first).unwrap();
    std::fs::create_dir(&second).unwrap();
    let joined = format!("{}:{}", first.display(), second.display());

    let output = config_output(&[], &[("SAFEGUARD_REVIEW_LOG_FOLDERS", &joined)]);

    let expected = format!(
        "log_folders = [{:?}, {:?}]",
        first.display().to_string(),
        second.display().to_string()
    );
    assert!(output.contains("[review]"), "{output}");
    assert!(output.contains(&expected), "{output}");
}

#[test]
fn config_shows_log_folders_from_file() {
    let folder = tempfile::tempdir().unwrap();
    let logs = folder.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let file = folder.path().join("safeguard.toml");
    std::fs::write(&file, format!("[review]\nlog_folders = [{:?}]\n", logs.display().to_string())).unwrap();

    let output = config_output(&["--config", file.to_str().unwrap()], &[]);

    assert!(
        output.contains(&format!("log_folders = [{:?}]", logs.display().to_string())),
        "{output}"
    );
}

#[test]
fn config_without_log_folders_shows_none() {
    let output = config_output(&[], &[]);

    assert!(output.contains("[review]\nlog_folders = []\n"), "{output}");
}

#[test]
fn config_rejects_relative_log_folder() {
    let output = Command::new(env!("CARGO_BIN_EXE_safeguard"))
        .args(["config", "--review-log-folders", "logs"])
        .env_remove("SAFEGUARD_REVIEW_LOG_FOLDERS")
        .env_remove("SAFEGUARD_CONFIG")
        .output()
        .expect("run the safeguard binary");

    assert_eq!(output.status.code(), Some(2));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("review.log_folders entry \"logs\": not an absolute path"), "{error}");
}

#[test]
fn empty_variable_turns_log_folders_off() {
    let folder = tempfile::tempdir().unwrap();
    let logs = folder.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let file = folder.path().join("safeguard.toml");
    std::fs::write(&file, format!("[review]\nlog_folders = [{:?}]\n", logs.display().to_string())).unwrap();

    let output = config_output(&["--config", file.to_str().unwrap()], &[("SAFEGUARD_REVIEW_LOG_FOLDERS", "")]);

    assert!(output.contains("[review]\nlog_folders = []\n"), "{output}");
}
