//! The core's clock: milliseconds since the driver started, from a monotonic source.

use std::time::Duration;

/// A monotonic origin shared by every user agent of a process.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    origin: tokio::time::Instant,
}

impl Clock {
    /// A clock whose zero is now.
    #[must_use]
    pub fn start() -> Clock {
        Clock {
            origin: tokio::time::Instant::now(),
        }
    }

    /// The core's "now".
    #[must_use]
    pub fn now(&self) -> sip_core::Instant {
        let ms = self.origin.elapsed().as_millis();
        sip_core::Instant(u64::try_from(ms).unwrap_or(u64::MAX))
    }

    /// The tokio instant of a core deadline.
    #[must_use]
    pub fn deadline(&self, at: sip_core::Instant) -> tokio::time::Instant {
        self.origin + Duration::from_millis(at.0)
    }
}

/// A seed from the operating system's random source, for the core's RNG.
#[must_use]
pub fn os_seed() -> u64 {
    let mut bytes = [0u8; 8];
    // Without an OS source the time is the only entropy left; tags stay unique per process.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        return nanos as u64;
    }
    u64::from_le_bytes(bytes)
}
