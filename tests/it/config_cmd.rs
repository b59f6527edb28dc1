//! `misar-dash config path|init` and how the config file is read.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

fn bin(config: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_misar-dash"));
    cmd.env("MISAR_DASH_CONFIG", config)
        .env_remove("MISAR_MAIL_KEY")
        .env_remove("MISAR_BLOG_KEY");
    cmd
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("misar-dash-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn config_init_writes_a_private_example_once() {
    let dir = temp_dir("init");
    let path = dir.join("sub").join("config.toml");
    let out = bin(&path).args(["config", "path"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(lines[0], format!("config: {}", path.display()));
    assert!(lines[1].starts_with("log:    "), "{stdout}");

    let out = bin(&path).args(["config", "init"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("# domains = "));

    let again = bin(&path).args(["config", "init"]).output().unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_bad_or_exposed_config_file_is_a_clear_error() {
    let dir = temp_dir("bad");
    let path = dir.join("config.toml");
    std::fs::write(&path, "domians = [\"x\"]\n").unwrap();
    let out = bin(&path).args(["stream", "inbox"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("not valid") && err.contains("domians"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    // A mistyped key name: the error says where, not what the line holds.
    std::fs::write(&path, "mail_kye = \"msk_very_secret_42\"\n").unwrap();
    let out = bin(&path).args(["stream", "inbox"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 1") && err.contains("mail_kye"), "{err}");
    assert!(!err.contains("msk_very_secret_42"), "{err}");

    std::fs::write(&path, "mail_key = \"msk_very_secret_42\"\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = bin(&path).args(["stream", "inbox"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains("chmod 600"), "{err}");
    assert!(!err.contains("msk_very_secret_42"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Issue 16: `config init` a second time printed a color-eyre report, with
/// a 34-frame backtrace under RUST_BACKTRACE=1 and ANSI colour even with
/// NO_COLOR or a pipe. A user's mistake is one plain line and an exit code.
#[test]
fn an_expected_error_is_one_plain_line_whatever_the_backtrace_setting() {
    let dir = temp_dir("init-twice");
    let path = dir.join("config.toml");
    assert!(
        bin(&path)
            .args(["config", "init"])
            .status()
            .unwrap()
            .success()
    );
    for (var, value) in [
        ("RUST_BACKTRACE", "1"),
        ("RUST_LIB_BACKTRACE", "full"),
        ("NO_COLOR", "1"),
    ] {
        let out = bin(&path)
            .env(var, value)
            .args(["config", "init"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
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
    std::fs::remove_dir_all(&dir).ok();
}
