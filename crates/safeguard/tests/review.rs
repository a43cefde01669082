//! Tests of `safeguard review`, run as the built binary so that the exit code and standard error
//! are the ones a user gets.

use std::process::{Command, Output};

/// Runs `safeguard review` with `arguments` and `variables` and returns what it printed.
fn review_output(arguments: &[&str], variables: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_safeguard"));
    command.arg("review").args(arguments);
    // Variables of the shell running the tests must not change what the binary reads.
    for (name, _) in std::env::vars() {
        if name.starts_with("SAFEGUARD_") {
            command.env_remove(name);
        }
    }
    command.envs(variables.iter().copied());
    command.output().expect("run the safeguard binary")
}

/// Writes an EVTX file that has a file header and no chunks. The evtx crate logs `Chunk 0` at
/// INFO when it looks for the first chunk, so the file is enough to show that log.
fn write_empty_evtx(path: &std::path::Path) {
    let mut header = vec![0_u8; 4096];
    header[..8].copy_from_slice(b"ElfFile\0");
    header[32..36].copy_from_slice(&128_u32.to_le_bytes()); // header size
    header[36..38].copy_from_slice(&1_u16.to_le_bytes()); // minor version
    header[38..40].copy_from_slice(&3_u16.to_le_bytes()); // major version
    header[40..42].copy_from_slice(&4096_u16.to_le_bytes()); // header block size
    header[120..124].copy_from_slice(&4_u32.to_le_bytes()); // flags: no CRC32 stored
    std::fs::write(path, header).unwrap();
}

#[test]
fn reversed_period_exits_with_2() {
    let folder = tempfile::tempdir().unwrap();
    let log = folder.path().join("auth.log");
    std::fs::write(
        &log,
        "Nov  2 08:00:00 ws sshd[1]: Accepted password for a from 10.0.0.7 port 22 ssh2\n",
    )
    .unwrap();

    let output = review_output(&[log.to_str().unwrap(), "--from", "2026-11-30", "--to", "2026-11-01"], &[]);

    assert_eq!(output.status.code(), Some(2));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("--to \"2026-11-01\" is before --from \"2026-11-30\""), "{error}");
    assert!(error.contains("swap the two values"), "{error}");
}

#[test]
fn evtx_info_logs_hidden_by_default() {
    let folder = tempfile::tempdir().unwrap();
    let log = folder.path().join("security.evtx");
    write_empty_evtx(&log);

    let output = review_output(&[log.to_str().unwrap(), "--format", "evtx", "--time-zone", "UTC"], &[]);

    let error = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{error}");
    assert!(!error.contains("Chunk 0"), "{error}");
    assert!(!error.contains("INFO"), "{error}");
}

#[test]
fn safeguard_log_shows_evtx_info_logs() {
    let folder = tempfile::tempdir().unwrap();
    let log = folder.path().join("security.evtx");
    write_empty_evtx(&log);

    let output = review_output(
        &[log.to_str().unwrap(), "--format", "evtx", "--time-zone", "UTC"],
        &[("SAFEGUARD_LOG", "info")],
    );

    let error = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{error}");
    assert!(error.contains("Chunk 0"), "{error}");
}
