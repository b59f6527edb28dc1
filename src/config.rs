//! Where the upstreams are and the keys that open them.

use std::time::Duration;

use crate::model::alert::AlertRules;
use crate::model::endpoints::Endpoints;
use crate::upstream::options::{ApiKey, ClientOptions};

use std::path::{Path, PathBuf};

use color_eyre::eyre::{Context, Result, bail};
use serde::Deserialize;

/// The config file, as written by `misar-dash config init`. Every field is
/// optional; flags and the environment take precedence. Keys are
/// [`ApiKey`]s, so its `Debug` shows whether one is set, never the key.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub blog_url: Option<String>,
    pub mail_url: Option<String>,
    pub mail_ws_url: Option<String>,
    pub blog_key: Option<ApiKey>,
    pub mail_key: Option<ApiKey>,
    /// A file holding the keys as `MISAR_BLOG_KEY=…` / `MISAR_MAIL_KEY=…`
    /// lines, for people who keep secrets out of config files.
    pub key_file: Option<PathBuf>,
    #[serde(default)]
    pub token_in_query: bool,
    #[serde(default)]
    pub issues: Vec<String>,
    #[serde(default)]
    pub campaigns: Vec<String>,
    #[serde(default)]
    pub domains: Vec<String>,
    pub limit: Option<u32>,
    #[serde(default)]
    pub mouse: bool,
    /// Start following a campaign when the inbox says it started.
    pub follow_campaigns: Option<bool>,
    /// Most log records held in memory per domain; the oldest go first.
    pub max_log_records: Option<usize>,
    /// Seconds an SSE stream (send progress, domain logs) may send nothing
    /// before it is treated as dead and redialled. The default suits the
    /// real API's keepalives; a proxy that buffers may need more.
    pub read_timeout_secs: Option<u64>,
    /// The WebSocket server's ping period in seconds (default 30); two
    /// periods of silence mean the link is dead.
    pub heartbeat_secs: Option<u64>,
    /// A PEM file of CA certificates to trust besides the system's (a
    /// company's TLS-inspecting gateway, a private CA).
    pub ca_file: Option<PathBuf>,
    /// `http://[user:password@]host:port` for all three APIs, overriding
    /// HTTPS_PROXY and the rest; `none` for no proxy at all.
    pub proxy: Option<String>,
    /// Hosts reached without the proxy, as NO_PROXY (which it overrides).
    pub no_proxy: Option<String>,
    /// Send-health rules and notifications (`[alerts]`).
    #[serde(default)]
    pub alerts: AlertRules,
}

/// The longest `read_timeout_secs` accepted: a day.
pub const MAX_READ_TIMEOUT_SECS: u64 = 86_400;
/// The config file's path: `$MISAR_DASH_CONFIG`, else `config.toml` in the
/// platform's config directory.
pub fn config_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MISAR_DASH_CONFIG") {
        return Some(PathBuf::from(p));
    }
    directories::ProjectDirs::from("io", "misar", "misar-dash")
        .map(|d| d.config_dir().join("config.toml"))
}

/// Reads the config file; a missing file is an empty config.
pub fn load_config(path: &Path) -> Result<FileConfig> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileConfig::default()),
        Err(e) => {
            return Err(e)
                .wrap_err_with(|| format!("could not read the config file {}", path.display()));
        }
    };
    let config: FileConfig = toml::from_str(&text).map_err(|e| {
        // toml's own report quotes the offending line, which may hold a
        // key under a mistyped name: say where, never what.
        let at = e.span().map_or(String::new(), |span| {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!(" at line {line}, column {column}")
        });
        color_eyre::eyre::eyre!(
            "the config file {} is not valid{at}: {}",
            path.display(),
            e.message().trim()
        )
    })?;
    let proxy_has_password = config.proxy.as_deref().is_some_and(|p| p.contains('@'));
    if config.blog_key.is_some() || config.mail_key.is_some() || proxy_has_password {
        refuse_if_others_can_read(path)?;
    }
    if let Some(secs) = config.read_timeout_secs
        && !(1..=MAX_READ_TIMEOUT_SECS).contains(&secs)
    {
        bail!(
            "read_timeout_secs must be from 1 to {MAX_READ_TIMEOUT_SECS}, not {secs} (in {})",
            path.display()
        );
    }
    if let Some(secs) = config.heartbeat_secs
        && !(1..=MAX_READ_TIMEOUT_SECS).contains(&secs)
    {
        bail!(
            "heartbeat_secs must be from 1 to {MAX_READ_TIMEOUT_SECS}, not {secs} (in {})",
            path.display()
        );
    }
    if let Some(limit) = config.limit {
        crate::model::log::parse_limit(&limit.to_string())
            .map_err(|e| color_eyre::eyre::eyre!("{e} (in {})", path.display()))?;
    }
    Ok(config)
}

/// Keys from a key file of `NAME=value` lines.
pub fn load_key_file(path: &Path) -> Result<(Option<ApiKey>, Option<ApiKey>)> {
    refuse_if_others_can_read(path)?;
    let text = std::fs::read_to_string(path)
        .wrap_err_with(|| format!("could not read the key file {}", path.display()))?;
    let (mut blog, mut mail) = (None, None);
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        match line.split_once('=') {
            Some(("MISAR_BLOG_KEY", v)) => blog = Some(ApiKey::new(v)),
            Some(("MISAR_MAIL_KEY", v)) => mail = Some(ApiKey::new(v)),
            // Never echo the line: it may be a key with a typo'd name.
            _ => bail!(
                "the key file {} has a line that is not MISAR_BLOG_KEY=… or MISAR_MAIL_KEY=…",
                path.display()
            ),
        }
    }
    Ok((blog, mail))
}

/// Like ssh with a private key: a file holding keys that others can read is
/// refused, with the command that fixes it.
pub fn refuse_if_others_can_read(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path)
            .wrap_err_with(|| format!("could not read {}", path.display()))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            bail!(
                "{} holds API keys but others can read it (mode {:o}); run: chmod 600 {}",
                path.display(),
                mode,
                path.display()
            );
        }
    }
    Ok(())
}

/// Where the commented example config lives in the source tree.
pub const EXAMPLE_CONFIG: &str = include_str!("../assets/config.example.toml");

/// The client options from flags, the environment and the config file, in
/// that order of precedence. Keys come from the environment, then the
/// config file, then its key file; never from flags.
pub fn client_options(
    blog_url: Option<String>,
    mail_url: Option<String>,
    mail_ws_url: Option<String>,
    token_in_query: bool,
    file: &FileConfig,
) -> Result<ClientOptions> {
    let env_key = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|k| !k.trim().is_empty())
            .map(ApiKey::new)
    };
    let (mut blog_key, mut mail_key) = (env_key("MISAR_BLOG_KEY"), env_key("MISAR_MAIL_KEY"));
    blog_key = blog_key.or_else(|| file.blog_key.clone());
    mail_key = mail_key.or_else(|| file.mail_key.clone());
    if let Some(path) = &file.key_file
        && (blog_key.is_none() || mail_key.is_none())
    {
        let (blog, mail) = load_key_file(path)?;
        blog_key = blog_key.or(blog);
        mail_key = mail_key.or(mail);
    }
    let defaults = Endpoints::default();
    let pick = |flag: Option<String>, file: &Option<String>, default: String| {
        flag.or_else(|| file.clone())
            .unwrap_or(default)
            .trim_end_matches('/')
            .to_string()
    };
    Ok(ClientOptions {
        endpoints: Endpoints {
            blog_url: pick(blog_url, &file.blog_url, defaults.blog_url),
            mail_url: pick(mail_url, &file.mail_url, defaults.mail_url),
            mail_ws_url: pick(mail_ws_url, &file.mail_ws_url, defaults.mail_ws_url),
        },
        blog_key,
        mail_key,
        token_in_query: token_in_query || file.token_in_query,
        sse_read_timeout: file
            .read_timeout_secs
            .map_or(ClientOptions::default().sse_read_timeout, |secs| {
                Duration::from_secs(secs.clamp(1, MAX_READ_TIMEOUT_SECS))
            }),
        heartbeat: file
            .heartbeat_secs
            .map_or(ClientOptions::default().heartbeat, |secs| {
                Duration::from_secs(secs.clamp(1, MAX_READ_TIMEOUT_SECS))
            }),
        ca_file: file.ca_file.clone(),
        proxy: file.proxy.clone(),
        no_proxy: file.no_proxy.clone(),
        ..ClientOptions::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_never_prints() {
        let key = ApiKey::new("msk_secret_123");
        assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
        assert_eq!(format!("{key}"), "<redacted>");
        let opts = ClientOptions {
            mail_key: Some(key),
            ..Default::default()
        };
        assert!(!format!("{opts:?}").contains("secret"));
    }

    #[test]
    fn the_example_config_parses() {
        let config: FileConfig = toml::from_str(EXAMPLE_CONFIG).unwrap();
        assert_eq!(config.blog_key, None);
    }

    #[test]
    fn the_example_alerts_table_uncommented_is_the_default() {
        let (_, table) = EXAMPLE_CONFIG
            .split_once("\n# [alerts]\n")
            .expect("the example has an [alerts] table");
        let mut uncommented = String::from("[alerts]\n");
        for line in table.lines() {
            let Some(setting) = line.strip_prefix("# ") else {
                continue;
            };
            let is_setting = setting.split_once(" = ").is_some_and(|(key, _)| {
                !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            });
            if is_setting {
                uncommented.push_str(setting);
                uncommented.push('\n');
            }
        }
        let config: FileConfig = toml::from_str(&uncommented).unwrap();
        assert_eq!(config.alerts, AlertRules::default());
        // Every rule's key is in the example.
        assert_eq!(uncommented.lines().count(), 1 + 12, "{uncommented}");
    }

    #[test]
    fn the_read_timeout_is_a_setting() {
        let file: FileConfig = toml::from_str("read_timeout_secs = 5").unwrap();
        let opts = client_options(None, None, None, false, &file).unwrap();
        assert_eq!(opts.sse_read_timeout, Duration::from_secs(5));
        let opts = client_options(None, None, None, false, &FileConfig::default()).unwrap();
        assert_eq!(
            opts.sse_read_timeout,
            ClientOptions::default().sse_read_timeout
        );

        let dir = std::env::temp_dir().join(format!("misar-dash-rt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.toml");
        std::fs::write(&path, "read_timeout_secs = 0\n").unwrap();
        let err = load_config(&path).unwrap_err().to_string();
        assert!(err.contains("read_timeout_secs"), "{err}");
        std::fs::write(&path, "read_timeout_secs = 120\n").unwrap();
        assert_eq!(load_config(&path).unwrap().read_timeout_secs, Some(120));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[cfg(unix)]
    #[test]
    fn a_readable_key_file_is_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("misar-dash-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.toml");
        std::fs::write(&path, "mail_key = \"msk_x\"\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_config(&path).unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
        assert!(!err.contains("msk_x"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(
            load_config(&path)
                .unwrap()
                .mail_key
                .as_ref()
                .map(ApiKey::expose),
            Some("msk_x")
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
