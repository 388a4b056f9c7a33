//! Quality sampling on a real call: the sampling timer asks the media layer for statistics
//! once media flows, the samples become `Stats` events on their interval and warnings that
//! are raised and cleared, and the sampling stops with the call.

use sip_core::quality::{QualityConfig, Sample, Thresholds, Warning};
use sip_core::ua::{CallId, Event, Input, MediaCommand, MediaResult};

use crate::harness::{config, Net};

fn gets(net: &Net, i: usize, call: &CallId) -> usize {
    net.phones[i]
        .media
        .log
        .iter()
        .filter(|(c, m)| c == call && *m == MediaCommand::GetStats)
        .count()
}

/// `n` seconds of a call whose inbound audio lost `lost` packets so far.
fn sample(n: u32, lost: f64) -> Sample {
    let n = f64::from(n);
    Sample {
        rtt_ms: Some(40.0),
        jitter_ms: Some(4.0),
        packets_received: 50.0 * n,
        packets_lost: lost,
        inbound_level: 0.1,
        outbound_level: 0.05 + 0.01 * (n % 5.0),
        outbound_energy: n,
        bytes_sent: 3000.0 * n,
        bytes_received: 3000.0 * n,
        codec: "opus".into(),
        local_candidate: "host".into(),
        remote_candidate: "host".into(),
    }
}

fn feed(net: &mut Net, i: usize, call: &CallId, s: Sample) {
    net.with(i, |ua, now| {
        ua.handle_input(
            now,
            Input::Media {
                call: call.clone(),
                result: MediaResult::Stats(s),
            },
        )
    });
}

#[test]
fn a_call_is_sampled_warned_about_and_cleared() {
    let mut net = Net::new();
    let mut c = config("1001");
    c.quality = QualityConfig {
        stats_interval: Some(2_000),
        warnings: Some(Thresholds::default()),
    };
    let a = net.add(c);
    net.start(a);
    net.drive();
    let b = net.phone("1002");
    let (ca, cb) = net.connect_call(a, "1002", b);
    // No media path yet: no sampling.
    net.advance(3_000);
    assert_eq!(gets(&net, a, &ca), 0);
    net.with(a, |ua, now| {
        ua.handle_input(
            now,
            Input::Media {
                call: ca.clone(),
                result: MediaResult::IceConnected,
            },
        )
    });
    net.take_events(a);
    // Every second a sample is asked for; the test answers each: 2 of 50 packets lost in
    // each second from the 4th on (3.8 %, above the 1 % default).
    let mut lost = 0.0;
    let mut warned_at = None;
    for second in 1..=8 {
        net.advance(1_000);
        assert_eq!(
            gets(&net, a, &ca),
            second as usize,
            "one request per second"
        );
        if second >= 4 {
            lost += 2.0;
        }
        feed(&mut net, a, &ca, sample(second, lost));
        for e in net.take_events(a) {
            match e {
                Event::QualityWarning {
                    call,
                    warning,
                    value,
                    threshold,
                } => {
                    assert_eq!(call, ca);
                    assert_eq!(warning, Warning::HighPacketLoss);
                    assert!((value - 100.0 * 2.0 / 52.0).abs() < 1e-9, "{value}");
                    assert_eq!(threshold, 1.0);
                    assert!(warned_at.is_none(), "raised once");
                    warned_at = Some(second);
                }
                Event::Stats { call, stats } => {
                    assert_eq!(call, ca);
                    assert_eq!(stats.sample.codec, "opus");
                    assert!(stats.mos.is_some_and(|m| m > 3.5), "{stats:?}");
                    // Events every 2 s: the 1st, 3rd, 5th, 7th sample.
                    assert_eq!(second % 2, 1, "stats on sample {second}");
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    // Lossy samples 4, 5, 6: raised with the third.
    assert_eq!(warned_at, Some(6));
    // The loss ends: cleared once five clean samples filled the window.
    let mut cleared_at = None;
    for second in 9..=14 {
        net.advance(1_000);
        feed(&mut net, a, &ca, sample(second, lost));
        if net.take_events(a).iter().any(|e| {
            matches!(e, Event::QualityWarningCleared { call, warning: Warning::HighPacketLoss } if *call == ca)
        }) {
            cleared_at = Some(second);
        }
    }
    assert_eq!(cleared_at, Some(13));
    // The callee's user agent has no quality config: never sampled.
    assert_eq!(gets(&net, b, &cb), 0);
    // A query on demand reads against the last sample and changes nothing.
    let stats = net.phones[a].ua.stats(&ca, sample(15, lost + 5.0)).unwrap();
    assert!((stats.packet_loss_pct - 100.0 * 5.0 / 55.0).abs() < 1e-9);
    assert!(net.phones[a]
        .ua
        .stats(&CallId::from("nope"), sample(1, 0.0))
        .is_err());
    // Hung up: the sampling stops.
    net.with(a, |ua, now| ua.hangup(now, &ca)).unwrap();
    net.drive();
    let before = gets(&net, a, &ca);
    net.advance(5_000);
    assert_eq!(gets(&net, a, &ca), before);
    // A sample that arrives after the end is ignored.
    feed(&mut net, a, &ca, sample(20, 500.0));
    assert!(net
        .events(a)
        .iter()
        .all(|e| !matches!(e, Event::QualityWarning { .. } | Event::Stats { .. })));
}

#[test]
fn held_and_muted_calls_are_not_judged_for_audio() {
    let mut net = Net::new();
    let mut c = config("1001");
    c.quality.warnings = Some(Thresholds::default());
    let a = net.add(c);
    net.start(a);
    net.drive();
    let b = net.phone("1002");
    let (ca, _) = net.connect_call(a, "1002", b);
    net.with(a, |ua, now| {
        ua.handle_input(
            now,
            Input::Media {
                call: ca.clone(),
                result: MediaResult::IceConnected,
            },
        )
    });
    net.with(a, |ua, now| ua.mute(now, &ca)).unwrap();
    net.take_events(a);
    // Muted: the microphone sends silence (no energy): no no-outbound-audio.
    for second in 1..=6 {
        net.advance(1_000);
        let mut s = sample(second, 0.0);
        s.outbound_energy = 1.0;
        feed(&mut net, a, &ca, s);
    }
    assert!(net.take_events(a).is_empty());
    // Unmuted with a dead microphone: raised after three samples.
    net.with(a, |ua, now| ua.unmute(now, &ca)).unwrap();
    net.take_events(a);
    let mut raised = Vec::new();
    for second in 7..=9 {
        net.advance(1_000);
        let mut s = sample(second, 0.0);
        s.outbound_energy = 1.0;
        feed(&mut net, a, &ca, s);
        for e in net.take_events(a) {
            if let Event::QualityWarning { warning, .. } = e {
                raised.push((second, warning));
            }
        }
    }
    assert_eq!(raised, [(9, Warning::NoOutboundAudio)]);
}
