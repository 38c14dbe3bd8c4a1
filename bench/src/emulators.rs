//! What a measured process talks to: moto and, for a function that talks to Security Hub,
//! a fresh emulator; each behind a proxy that times the emulator's answers, so that its
//! time can be told from the implementation's own.

use std::path::Path;
use std::time::Duration;

use harness::{FaultProxy, Moto, SecurityHub};

use crate::subjects::Subject;

pub(crate) struct Emulators {
    moto: FaultProxy,
    hub: Option<(SecurityHub, FaultProxy)>,
    /// The hub's calls answered before [`Emulators::count_from_here`].
    hub_calls_before: usize,
}

impl Emulators {
    /// Undoes in moto what an earlier run did (when `subject` says how), starts a fresh
    /// Security Hub emulator set up for `subject` when it talks to Security Hub, and a
    /// proxy in front of each.
    pub(crate) async fn start(subject: &Subject, moto: &'static Moto) -> Self {
        if let Some(reset) = subject.reset {
            reset(moto).await;
        }
        let hub = match subject.security_hub {
            Some(set_up) => {
                let hub = SecurityHub::start().await;
                set_up(&hub);
                let proxy = FaultProxy::start(&hub.endpoint()).await;
                Some((hub, proxy))
            }
            None => None,
        };
        Self {
            moto: FaultProxy::start(&moto.endpoint).await,
            hub,
            hub_calls_before: 0,
        }
    }

    /// The measured process's environment: the proxies as its AWS endpoints, the CA store
    /// as Lambda lays it out, and a fresh ledger.
    pub(crate) fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = lambda_ca_store();
        env.push(("AWS_ENDPOINT_URL", self.moto.endpoint()));
        if let Some((_, proxy)) = &self.hub {
            env.push(("AWS_ENDPOINT_URL_SECURITYHUB", proxy.endpoint()));
        }
        // A fresh ledger per run, as in a fresh account: moto's SSM outlives the run, and the
        // singleton records of an earlier run would make this one adopt.
        env.push(harness::fresh_ledger());
        env
    }

    /// Forgets the calls so far and their time.
    pub(crate) fn count_from_here(&mut self) {
        self.moto.reset_calls();
        if let Some((hub, proxy)) = &self.hub {
            proxy.reset_calls();
            self.hub_calls_before = hub.calls().len();
        }
    }

    /// How long the emulators took to answer the calls since
    /// [`Emulators::count_from_here`], summed: the time a client calling one at a time (as
    /// both implementations do) spent waiting on them.
    pub(crate) fn time(&self) -> Duration {
        let hub = self.hub.as_ref().map(|(_, proxy)| proxy.upstream_time());
        self.moto.upstream_time() + hub.unwrap_or_default()
    }

    /// The operations called since [`Emulators::count_from_here`]: moto's, then Security
    /// Hub's (as its emulator names them).
    pub(crate) fn calls(&self) -> Vec<String> {
        let mut calls = self.moto.calls();
        if let Some((hub, _)) = &self.hub {
            calls.extend(hub.operations().split_off(self.hub_calls_before));
        }
        calls
    }
}

/// The CA store as Lambda lays it out: one bundle file (`provided.al2023`:
/// `/etc/pki/tls/certs/ca-bundle.crt`), not a Debian-style hashed directory whose every
/// file the native loader would also read. Given to both implementations.
fn lambda_ca_store() -> Vec<(&'static str, String)> {
    [
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/certs/ca-certificates.crt",
    ]
    .into_iter()
    .find(|path| Path::new(path).is_file())
    .map(|path| vec![("SSL_CERT_FILE", path.to_owned())])
    .unwrap_or_default()
}
