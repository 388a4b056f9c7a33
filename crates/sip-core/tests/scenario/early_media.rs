//! Early media from the callee: a 183 with our answer before the 200 (a ringback or
//! announcement service; the native bot's ringback role).

use sip_core::message;
use sip_core::ua::{CallState, CommandError, MediaCommand};

use crate::harness::Net;

#[test]
fn the_callee_sends_its_answer_in_a_183_then_answers_with_the_same_sdp() {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b = net.phone("1002");
    let (ca, cb) = net.ring(a, "1002", b);
    let offer = net.phones[b].ua.remote_offer(&cb).map(str::to_owned);
    assert!(offer.as_deref().is_some_and(|o| o.contains("m=audio")));
    let early = "v=0\r\no=- 7 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\na=sendrecv\r\n";
    net.with(b, |ua, now| ua.early_media(now, &cb, early.to_owned()))
        .unwrap();
    net.drive();
    let progress = net.sent(b, "SIP/2.0 183 ");
    assert_eq!(progress.len(), 1);
    let msg = message::parse(&progress[0]).unwrap();
    assert_eq!(msg.body(), early);
    assert!(
        msg.header("Contact").is_some(),
        "a 183 that sets up a dialog has a Contact"
    );
    // The caller plays it: early media, its media layer applies the answer.
    assert_eq!(net.state(a, &ca), Some(CallState::Early));
    assert!(net.phones[a].media.log.iter().any(|(c, m)| c == &ca
        && *m
            == MediaCommand::ApplyAnswer {
                remote_sdp: early.to_owned()
            }));
    // Still ringing here: the 200 comes when the callee answers.
    assert_eq!(net.state(b, &cb), Some(CallState::Ringing));
    assert!(!net.answered(a, &ca));

    net.with(b, |ua, now| ua.answer(now, &cb)).unwrap();
    net.drive();
    assert!(net.answered(a, &ca) && net.started(b, &cb));
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
    assert_eq!(net.sent(a, "ACK ").len(), 1);
}

#[test]
fn early_media_is_refused_where_it_makes_no_sense() {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b = net.phone("1002");
    let (ca, cb) = net.ring(a, "1002", b);
    let sdp = String::from("v=0\r\n");
    // The caller's own call is not one it can answer early.
    let r = net.with(a, |ua, now| ua.early_media(now, &ca, sdp.clone()));
    assert!(matches!(r, Err(CommandError::WrongState { .. })), "{r:?}");
    let r = net.with(b, |ua, now| {
        ua.early_media(now, &"nope".into(), sdp.clone())
    });
    assert!(matches!(r, Err(CommandError::UnknownCall(_))), "{r:?}");
    net.with(b, |ua, now| ua.answer(now, &cb)).unwrap();
    net.drive();
    let r = net.with(b, |ua, now| ua.early_media(now, &cb, sdp.clone()));
    assert!(matches!(r, Err(CommandError::WrongState { .. })), "{r:?}");
    assert!(net.sent(b, "SIP/2.0 183 ").is_empty());
    assert_eq!(
        net.phones[b].ua.remote_offer(&cb),
        None,
        "an answered call has no offer pending"
    );
}
