//! Memory and CPU of processes, read from Linux's `/proc` (zero elsewhere).

/// `/proc` counts CPU time in USER_HZ ticks, 100 per second on every Linux architecture
/// (the kernel converts from its own HZ for userspace).
pub const TICKS_PER_SEC: u64 = 100;

/// The resident set of `pid` (`self` for this process), in KiB.
#[must_use]
pub fn rss_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// User + system ticks of `pid` and, recursively, of its living children (Kamailio's
/// workers are children of its main process).
#[must_use]
pub fn tree_ticks(pid: u32) -> u64 {
    let mut total = 0;
    let mut todo = vec![pid];
    // A pid tree is finite; the bound only guards against a pid reused into a loop.
    let mut budget = 4096;
    while let Some(p) = todo.pop() {
        budget -= 1;
        if budget == 0 {
            break;
        }
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) {
            total += stat_ticks(&stat).unwrap_or(0);
        }
        if let Ok(children) = std::fs::read_to_string(format!("/proc/{p}/task/{p}/children")) {
            todo.extend(
                children
                    .split_whitespace()
                    .filter_map(|c| c.parse::<u32>().ok()),
            );
        }
    }
    total
}

/// utime + stime of a `/proc/<pid>/stat` line: fields 14 and 15, counted after the
/// command name, which is in parentheses and may itself hold spaces or parentheses.
fn stat_ticks(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    // rest starts at field 3 (state): utime is the 12th field of rest, stime the 13th.
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_utime_and_stime_past_an_odd_name() {
        let stat = "4242 (kam (worker) 1) S 1 4242 4242 0 -1 4194560 1200 0 0 0 \
                    731 269 0 0 20 0 1 0 5000 123456 789 18446744073709551615";
        assert_eq!(stat_ticks(stat), Some(1000));
        assert_eq!(stat_ticks("garbage"), None);
    }

    #[test]
    fn reads_this_process() {
        assert!(rss_kib("self").is_some_and(|kib| kib > 0));
        // Burn some CPU so the tick count has something to show.
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        assert!(x != 1);
        assert!(tree_ticks(std::process::id()) > 0);
        assert_eq!(rss_kib("999999999"), None);
    }
}
