//! What `alphastock run` adds around a session for the operator: alerts (the `alerts` config
//! section) and the web dashboard (`--dashboard HOST:PORT`). Nothing is added, and the loop
//! pays nothing, when neither is asked for.

use std::path::Path;
use std::sync::Arc;

use anyhow::Result;

use alphastock_core::config::Config;

use crate::alerts::{targets_from, AlertSender};
use crate::broker::Broker;
use crate::dashboard::{self, Dashboard, Source};
use crate::monitor::hub::{Hub, Live};
use crate::monitor::metered::Metered;
use crate::monitor::state::Controls;
use crate::mstock::clock::IstClock;
use crate::runner::session::Session;

/// The alerts and dashboard of one run.
pub struct Cockpit {
    live: Option<Arc<Live>>,
    alerts: Option<AlertSender>,
    targets: Vec<&'static str>,
    listen: Option<String>,
    token: Option<String>,
    dashboard: Option<Dashboard>,
    config: Config,
    wall: Option<IstClock>,
}

impl Cockpit {
    /// Reads the alert targets' secrets from the environment and checks the dashboard's
    /// address and token, before anything trades. `mode` names the run (`paper run`).
    pub fn prepare(config: &Config, listen: Option<&str>, mode: &str) -> Result<Cockpit> {
        let env = |k: &str| std::env::var(k).ok();
        let targets = targets_from(&config.alerts, env)?;
        let names: Vec<&'static str> = targets.iter().map(|t| t.name()).collect();
        let alerts = if targets.is_empty() {
            None
        } else {
            Some(AlertSender::start(&config.alerts, targets)?)
        };
        let token = env(&config.dashboard.token_env).filter(|t| !t.trim().is_empty());
        if let Some(listen) = listen {
            dashboard::check_listen_text(listen, token.as_deref())?;
        }
        let live = (alerts.is_some() || listen.is_some()).then(|| {
            Live::new(
                mode,
                Controls {
                    kill_switch_button: config.dashboard.kill_switch_button,
                    refresh_seconds: config.dashboard.refresh_seconds,
                },
            )
        });
        Ok(Cockpit {
            live,
            alerts,
            targets: names,
            listen: listen.map(str::to_string),
            token,
            dashboard: None,
            config: config.clone(),
            wall: None,
        })
    }

    /// Times the heartbeat alert on the live loop's clock `wall` (simulated in tests) rather
    /// than the real one.
    pub fn set_wall_clock(&mut self, wall: IstClock) {
        self.wall = Some(wall);
    }

    /// `broker` with its calls counted for `/metrics` and the health panel, when watched.
    pub fn meter(&self, broker: Box<dyn Broker>) -> Box<dyn Broker> {
        match &self.live {
            Some(live) => Box::new(Metered::new(broker, live.clone())),
            None => broker,
        }
    }

    /// Starts the dashboard over the journal `db` and hooks the session up; prints where the
    /// dashboard is and where alerts go.
    pub fn attach(&mut self, session: &mut Session, db: &Path) -> Result<()> {
        let Some(live) = self.live.clone() else {
            return Ok(());
        };
        if let Some(listen) = &self.listen {
            let d = dashboard::start(
                listen,
                self.token.clone(),
                Source {
                    db: db.to_path_buf(),
                    day: None,
                    live: Some(live.clone()),
                    controls: Controls::default(),
                },
            )?;
            println!("alphastock run: dashboard at http://{}/", d.addr());
            self.dashboard = Some(d);
        }
        if !self.targets.is_empty() {
            println!(
                "alphastock run: alerts to {} (events: {})",
                self.targets.join(" and "),
                self.config.alerts.events.join(", ")
            );
        }
        let mut hub = Hub::new(live, self.alerts.take(), &self.config.alerts);
        if let Some(wall) = self.wall.clone() {
            hub = hub.with_wall_clock(wall);
        }
        session.set_observer(Box::new(hub));
        Ok(())
    }

    /// Ends the run's alerts (queued ones get a few seconds to go out) and prints what became
    /// of them.
    pub fn finish(&mut self, session: &mut Session) {
        drop(session.take_observer());
        if let Some(a) = self.live.as_ref().and_then(|l| l.alert_stats()) {
            println!(
                "ALERTS sent {}, dropped {} (queue full), rate-limited {}, failed {}",
                a.sent, a.dropped, a.rate_limited, a.failed
            );
        }
    }
}
