//! Native parse throughput: `cargo bench -p parse-bench`. Prints messages per second.
use std::time::{Duration, Instant};

fn main() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/bench/invite.sip");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_ne!(
        parse_bench::parse_once(&text),
        0,
        "the bench INVITE must parse"
    );
    let mut rates = Vec::new();
    for _ in 0..7 {
        let start = Instant::now();
        let mut n = 0u64;
        let mut check = 0u32;
        while start.elapsed() < Duration::from_millis(300) {
            check = check.wrapping_add(parse_bench::parse_repeatedly(&text, 1000));
            n += 1000;
        }
        std::hint::black_box(check);
        rates.push(n as f64 / start.elapsed().as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "{{\"native_parse_msgs_per_s\":{{\"min\":{:.0},\"median\":{:.0},\"max\":{:.0}}},\"bytes\":{}}}",
        rates[0],
        rates[rates.len() / 2],
        rates[rates.len() - 1],
        text.len()
    );
}
