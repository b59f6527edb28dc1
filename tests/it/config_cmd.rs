//! `misar-dash config path|init` and how the config file is read.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::*;
use tokio::process::Command;

/// The binary reading its config from `config`.
fn bin(config: &Path) -> Command {
    let mut cmd = misar_dash();
    cmd.env("MISAR_DASH_CONFIG", config);
    cmd
}

#[tokio::test]
async fn config_init_writes_a_private_example_once() {
    let dir = TempDir::new("config-init");
    let path = dir.join("sub").join("config.toml");
    let out = run(bin(&path), &["config", "path"]).await;
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    assert_eq!(lines[0], format!("config: {}", path.display()));
    assert!(lines[1].starts_with("log:    "), "{}", out.stdout);

    run(bin(&path), &["config", "init"]).await.assert_exit(0);
    assert_eq!(file_mode(&path), 0o600);
    let text = std::fs::read_to_string(&path).expect("the config file");
    assert!(text.contains("# domains = "));

    let again = run(bin(&path), &["config", "init"]).await;
    again.assert_fails();
    assert!(again.stderr.contains("exists already"));
}

#[tokio::test]
async fn a_bad_or_exposed_config_file_is_a_clear_error() {
    let dir = TempDir::new("config-bad");
    let path = dir.join("config.toml");
    let write = |text: &str| std::fs::write(&path, text).expect("write the config");
    write("domians = [\"x\"]\n");
    let out = run(bin(&path), &["stream", "inbox"]).await;
    out.assert_exit(2);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert_contains(&out.stderr, &["not valid", "domians"]);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);

    // A mistyped key name: the error says where, not what the line holds.
    write("mail_kye = \"msk_very_secret_42\"\n");
    let out = run(bin(&path), &["stream", "inbox"]).await;
    assert_contains(&out.stderr, &["line 1", "mail_kye"]);
    assert!(!out.stderr.contains("msk_very_secret_42"), "{}", out.stderr);

    write("mail_key = \"msk_very_secret_42\"\n");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = run(bin(&path), &["stream", "inbox"]).await;
    out.assert_exit(2);
    assert_contains(&out.stderr, &["chmod 600"]);
    assert!(!out.stderr.contains("msk_very_secret_42"), "{}", out.stderr);
}

/// Issue 16: `config init` a second time printed a color-eyre report, with
/// a 34-frame backtrace under RUST_BACKTRACE=1 and ANSI colour even with
/// NO_COLOR or a pipe. A user's mistake is one plain line and an exit code.
#[tokio::test]
async fn an_expected_error_is_one_plain_line_whatever_the_backtrace_setting() {
    let dir = TempDir::new("config-init-twice");
    let path = dir.join("config.toml");
    run(bin(&path), &["config", "init"]).await.assert_exit(0);
    for (var, value) in [
        ("RUST_BACKTRACE", "1"),
        ("RUST_LIB_BACKTRACE", "full"),
        ("NO_COLOR", "1"),
    ] {
        let mut cmd = bin(&path);
        cmd.env(var, value);
        let out = run(cmd, &["config", "init"]).await;
        out.assert_exit(1);
        let err = &out.stderr;
        assert_eq!(err.lines().count(), 1, "{var}={value}: {err}");
        assert!(
            err.starts_with("misar-dash: ") && err.contains("exists already"),
            "{err}"
        );
        assert!(!err.contains('\u{1b}'), "no colour on a pipe: {err:?}");
        assert!(
            !err.contains("Location") && !err.contains("BACKTRACE"),
            "{err}"
        );
    }
}
