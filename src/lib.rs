//! misar-dash: a terminal dashboard for email sends.
//!
//! `upstream` talks to the three APIs, `sim` stands in for them, `app` holds
//! the state and its reducer, `ui` renders it, `headless` prints NDJSON.

pub mod app;
pub mod bench;
pub mod charmask;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod export;
pub mod headless;
pub mod logfile;
pub mod model;
pub mod notify;
pub mod sanitize;
pub mod sim;
pub mod terminal;
pub mod ui;
pub mod upstream;

use std::io::Write;

use color_eyre::eyre::{Result, bail};

/// Said once per run when keys go into URLs (`--token-in-query` or
/// `token_in_query = true`): on stderr in headless mode, in the status bar
/// of the dashboard.
pub const TOKEN_IN_QUERY_WARNING: &str =
    "warning: --token-in-query puts keys in URLs; proxy and server logs will record them";

use cli::{Cli, Command, ConfigAction};
use config::FileConfig;
use upstream::options::{ApiKey, ClientOptions};

/// Runs what the command line asks for; returns the process exit code.
pub async fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Some(Command::Config { action }) => config_command(action, &cli.log),
        Some(Command::Sim(args)) => {
            let wire = args
                .wire
                .parse()
                .map_err(|e| color_eyre::eyre::eyre!("--wire: {e}"))?;
            let cfg = sim::SimConfig {
                port: args.port,
                seed: args.seed,
                speed: args.speed,
                wire,
                ws_hostile: args.ws_hostile,
                prebuilt_logs: args.prebuilt,
                ..Default::default()
            };
            sim::run_standalone(cfg).await?;
            Ok(0)
        }
        Some(Command::Bench { what }) => {
            let file = load_file_config()?;
            bench::run(&cli.upstream, &file, what).await
        }
        Some(Command::Stream(args)) => {
            let interrupt = headless::Interrupt::listen();
            let mut stderr = headless::Stderr::new(std::io::stderr(), args.timestamps);
            // Scripts get one line and the usage exit code, not a report.
            let setup = match headless_log(&cli.log).and_then(|()| load_file_config()) {
                Ok(file) => upstream_setup(&cli.upstream, &file, false)
                    .await
                    .map(|(opts, sim)| (opts, sim, file.alerts)),
                Err(e) => Err(e),
            };
            let (mut opts, _sim, rules) = match setup {
                Ok(setup) => setup,
                Err(e) => {
                    // Nowhere left to say it if stderr is gone.
                    let _ = writeln!(stderr, "misar-dash: {e:#}");
                    return Ok(headless::exit::USAGE);
                }
            };
            opts.max_retries = Some(args.max_retries);
            if opts.token_in_query {
                let _ = writeln!(stderr, "misar-dash: {TOKEN_IN_QUERY_WARNING}");
            }
            let alerting = headless::Alerting {
                rules,
                fail_on_alert: args.fail_on_alert,
            };
            let code = headless::run(
                opts,
                args.what,
                alerting,
                interrupt,
                &mut std::io::stdout().lock(),
                &mut stderr,
            )
            .await?;
            Ok(code)
        }
        None => {
            let log = dashboard_log(&cli.log)?;
            let file = load_file_config()?;
            let (opts, sim) = upstream_setup(&cli.upstream, &file, true).await?;
            let mut watch = dashboard::WatchList::from_args(&cli.dash, &file)?;
            if let Some(sim) = &sim
                && watch.is_empty()
            {
                watch = demo_watch_list(sim);
            }
            let mut dash = dashboard::DashOptions::new(&cli.dash, &file, sim.is_some());
            match log {
                Ok(path) => dash.log_file = Some(path.display().to_string()),
                Err(warning) => dash.warning = Some(warning),
            }
            dashboard::run(opts, watch, dash).await?;
            if let Some(sim) = sim {
                sim.shutdown().await;
            }
            Ok(0)
        }
    }
}

/// The headless mode writes the network log only when `--log-file` asks
/// for it: its stderr already says what each link did. A log it was asked
/// for and cannot write is an error, as any bad argument.
fn headless_log(args: &cli::LogArgs) -> Result<()> {
    match &args.log_file {
        Some(path) => logfile::init(path, logfile::filter_from_env()?),
        None => Ok(()),
    }
}

/// The dashboard always writes the network log. One it cannot open is a
/// warning for its status bar, not a reason to refuse to run: the log
/// explains a dark pane after the fact, and the panes matter more. The
/// warning goes on the screen, as the --token-in-query one does: a line
/// on stderr before the dashboard starts is hidden behind it for the whole
/// session, and people used to k9s or lnav look at the screen, not at what
/// scrolled by before it. A bad `MISAR_DASH_LOG` is a mistake to fix now,
/// so it is an error.
/// Returns where the log goes, or the warning to show instead.
fn dashboard_log(args: &cli::LogArgs) -> Result<Result<std::path::PathBuf, String>> {
    let filter = logfile::filter_from_env()?;
    let Some(path) = logfile::path(args.log_file.as_deref()) else {
        return Ok(Err(
            "warning: no network log: no state directory here; use --log-file PATH".into(),
        ));
    };
    // The path and why, without the context's words: the status bar is
    // one line.
    Ok(match logfile::init(&path, filter) {
        Ok(()) => Ok(path),
        Err(e) => Err(format!(
            "warning: no network log: {}: {}",
            path.display(),
            e.root_cause()
        )),
    })
}

fn load_file_config() -> Result<FileConfig> {
    match config::config_path() {
        Some(path) => config::load_config(&path),
        None => Ok(FileConfig::default()),
    }
}

/// Client options from flags, environment and config; with `--sim` (or, for
/// the dashboard, nothing configured at all) a simulator started
/// in-process instead.
async fn upstream_setup(
    args: &cli::UpstreamArgs,
    file: &FileConfig,
    demo_when_unconfigured: bool,
) -> Result<(ClientOptions, Option<sim::Sim>)> {
    let mut opts = client_options(args, file)?;
    if !(args.sim || (demo_when_unconfigured && nothing_configured(args, file, &opts))) {
        return Ok((opts, None));
    }
    let sim = start_simulator(&mut opts, sim::SimConfig::default()).await?;
    Ok((opts, Some(sim)))
}

/// True when nothing points at a service: no key and no URL, from a flag,
/// the environment or the config file. A URL alone means "use this
/// service", never the demo: its streams then say which key is missing
/// and how to give it.
fn nothing_configured(args: &cli::UpstreamArgs, file: &FileConfig, opts: &ClientOptions) -> bool {
    let urls = [
        &args.blog_url,
        &args.mail_url,
        &args.mail_ws_url,
        &file.blog_url,
        &file.mail_url,
        &file.mail_ws_url,
    ];
    opts.blog_key.is_none() && opts.mail_key.is_none() && urls.iter().all(|u| u.is_none())
}

/// Client options from the upstream flags, the environment and the config
/// file.
pub(crate) fn client_options(args: &cli::UpstreamArgs, file: &FileConfig) -> Result<ClientOptions> {
    config::client_options(
        args.blog_url.clone(),
        args.mail_url.clone(),
        args.mail_ws_url.clone(),
        args.token_in_query,
        file,
    )
}

/// Starts a simulator in this process and points `opts` at it, with its
/// demo keys.
pub(crate) async fn start_simulator(
    opts: &mut ClientOptions,
    config: sim::SimConfig,
) -> Result<sim::Sim> {
    let sim = sim::Sim::start(config).await?;
    opts.endpoints = sim.endpoints();
    opts.blog_key = Some(ApiKey::new(sim::DEMO_BLOG_KEY));
    opts.mail_key = Some(ApiKey::new(sim::DEMO_MAIL_KEY));
    Ok(sim)
}

fn config_command(action: ConfigAction, log: &cli::LogArgs) -> Result<i32> {
    let Some(path) = config::config_path() else {
        bail!("this platform has no config directory; set MISAR_DASH_CONFIG to a file path");
    };
    match action {
        ConfigAction::Path => {
            println!("config: {}", path.display());
            match logfile::path(log.log_file.as_deref()) {
                Some(log) => println!("log:    {}", log.display()),
                None => println!("log:    none (no state directory here; use --log-file PATH)"),
            }
        }
        ConfigAction::Init => {
            if path.exists() {
                bail!("{} exists already; not overwriting it", path.display());
            }
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&path, config::EXAMPLE_CONFIG)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                // It is meant to hold keys.
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
            }
            println!("wrote {}", path.display());
        }
    }
    Ok(0)
}

/// What the demo watches when nothing is configured: the demo account's
/// issues, the campaigns already running, and four domains that show a
/// live tail, a large store, a rate limit and a bounce burst.
fn demo_watch_list(sim: &sim::Sim) -> dashboard::WatchList {
    let catalog = sim.catalog();
    let demo = |a: sim::Account| a == sim::Account::Demo;
    dashboard::WatchList {
        issues: catalog
            .issues
            .iter()
            .filter(|i| demo(i.account))
            .map(|i| i.id.to_string())
            .collect(),
        campaigns: catalog
            .campaigns
            .iter()
            .filter(|c| demo(c.account) && c.start_secs <= 0.0)
            .map(|c| c.id.clone())
            .collect(),
        domains: [
            "shop.example.com",
            "bulk.example.com",
            "limited.example.com",
            // Its bounces trip the domain alert within the first minute.
            "bounces.example.com",
        ]
        .into_iter()
        .filter(|d| catalog.domains.iter().any(|c| c.name == *d))
        .map(String::from)
        .collect(),
        inbox: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 16: a URL set and no key ran the demo against the simulator.
    #[tokio::test]
    async fn a_url_without_a_key_is_that_service_not_the_demo() {
        let args = cli::UpstreamArgs {
            mail_url: Some("https://mail.staging.example".into()),
            ..Default::default()
        };
        let (opts, sim) = upstream_setup(&args, &FileConfig::default(), true)
            .await
            .unwrap();
        assert!(sim.is_none(), "no simulator");
        assert_eq!(opts.endpoints.mail_url, "https://mail.staging.example");
        assert!(opts.mail_key.is_none());

        let file = FileConfig {
            blog_url: Some("https://blog.staging.example".into()),
            ..FileConfig::default()
        };
        let (_, sim) = upstream_setup(&cli::UpstreamArgs::default(), &file, true)
            .await
            .unwrap();
        assert!(sim.is_none(), "a URL in the config file counts too");
    }
}
