// Devices: listDevices(), the devicechange event, setInputDevice() mid-call (replaceTrack onto
// another of Chromium's fake microphones, the old track stopped, mute kept) and
// setOutputDevice() (setSinkId on the attached element). The SDK is alice (1001); JsSIP plays
// bob (1002) and measures the audio it hears.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { HEARD_BY_FAR, hangUpLeftovers, sdkCallsFarEnd, startScene } from './lib/calls.mjs';
import { DEMO } from './lib/stack.mjs';

const { bob } = DEMO.members;

describe('SDK devices with a JsSIP far end', { timeout: 180_000 }, () => {
  let scene;
  let sdk;
  let bobUa;

  before(async () => {
    scene = await startScene({ farEnds: [{ member: bob, name: 'bob (JsSIP)' }] });
    ({ sdk, farEnds: [bobUa] } = scene);
  });

  afterEach(() => hangUpLeftovers(sdk, { leftAllowed: true }));

  after(() => scene?.stop());

  async function inputs() {
    const lists = await sdk.invoke('listDevices');
    assert.equal(lists.ok, true, JSON.stringify(lists));
    return lists.value;
  }

  /** The SDK calls bob, he answers, he hears the SDK's microphone. */
  const establish = () => sdkCallsFarEnd(sdk, bobUa, bob.extension, { heardBySdk: null });

  async function sentTrack() {
    const pcs = (await sdk.media()).peerConnections.filter((pc) => pc.signalingState !== 'closed');
    const tracks = pcs.at(-1).senders.map((s) => s.track).filter(Boolean);
    assert.equal(tracks.length, 1, `one audio track sent: ${JSON.stringify(tracks)}`);
    return tracks[0];
  }

  async function trackState(id) {
    return (await sdk.media()).localTracks.find((t) => t.id === id);
  }

  test('listDevices() lists the fake audio inputs and outputs; devicechange carries the new lists', async () => {
    const lists = await inputs();
    assert.ok(lists.audioinput.length >= 3, `Chromium's three fake inputs: ${JSON.stringify(lists.audioinput)}`);
    assert.ok(lists.audiooutput.length >= 1, JSON.stringify(lists.audiooutput));
    for (const d of [...lists.audioinput, ...lists.audiooutput]) {
      assert.deepEqual(Object.keys(d).sort(), ['deviceId', 'groupId', 'label']);
      assert.equal(typeof d.deviceId, 'string');
    }
    assert.ok(lists.audioinput.some((d) => d.label === 'Fake Audio Input 1'), JSON.stringify(lists.audioinput));
    assert.equal(Object.keys(lists).sort().join(), 'audioinput,audiooutput', 'no video devices');

    const from = await sdk.mark();
    await sdk.fireDeviceChange();
    const changed = await sdk.waitFor('devicechange', { from });
    assert.deepEqual(changed.payload, lists);
  });

  test('bad device ids are typed errors and change nothing', async () => {
    const bad = await sdk.invoke('setInputDevice', 'no-such-microphone');
    assert.equal(bad.code, 'invalid_argument', JSON.stringify(bad));
    assert.equal(bad.isSdkError, true);
    const notString = await sdk.invoke('setInputDevice', 7);
    assert.equal(notString.code, 'invalid_argument', JSON.stringify(notString));
    const badOut = await sdk.invoke('setOutputDevice', 'no-such-speaker');
    assert.equal(badOut.code, 'invalid_argument', JSON.stringify(badOut));
    assert.equal(await sdk.sinkId(), '', 'the element still plays on the default output');

    // A call made after the refusals still opens the default microphone and is heard.
    const { callId } = await establish();
    assert.equal((await sentTrack()).deviceId, 'default');
    const badMidCall = await sdk.invoke('setInputDevice', 'no-such-microphone');
    assert.equal(badMidCall.code, 'invalid_argument');
    const track = await sentTrack();
    assert.equal(track.readyState, 'live', 'the call keeps its microphone');
    await sdk.must('hangup', callId);
  });

  test('setInputDevice() mid-call: the new device is sent, the old track stopped, audio keeps flowing, mute is kept', async () => {
    const { audioinput } = await inputs();
    const [one, two] = ['Fake Audio Input 1', 'Fake Audio Input 2'].map((l) => audioinput.find((d) => d.label === l));
    const { callId, session } = await establish();
    const before = await sentTrack();

    const from = await sdk.mark();
    const r = await sdk.invoke('setInputDevice', one.deviceId);
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.isPromise, true);
    const now = await sentTrack();
    assert.notEqual(now.id, before.id, 'a new track is sent');
    assert.equal(now.deviceId, one.deviceId, 'from the chosen device');
    assert.equal(now.readyState, 'live');
    assert.equal((await trackState(before.id)).readyState, 'ended', 'the old track was stopped');
    assert.ok((await sdk.eventsOf('trackStop', from)).some((e) => e.id === before.id));
    assert.equal((await sdk.getCalls())[0].state, 'active', 'no renegotiation, the call goes on');
    await bobUa.waitForAudio({ threshold: HEARD_BY_FAR, timeout: 8000, sessionId: session });

    // Muted, then switched: the new track starts disabled and bob hears nothing until unmute.
    await sdk.must('mute', callId);
    await bobUa.waitForSilence({ threshold: 0.005, timeout: 8000, sessionId: session });
    await sdk.must('setInputDevice', two.deviceId);
    const muted = await sentTrack();
    assert.equal(muted.deviceId, two.deviceId);
    assert.equal(muted.enabled, false, 'the mute carried over to the new track');
    assert.equal((await trackState(now.id)).readyState, 'ended');
    await bobUa.waitForSilence({ threshold: 0.005, timeout: 4000, sessionId: session });
    await sdk.must('unmute', callId);
    assert.equal((await sentTrack()).enabled, true);
    await bobUa.waitForAudio({ threshold: HEARD_BY_FAR, timeout: 8000, sessionId: session });
    await sdk.must('hangup', callId);

    // The choice holds for the next call.
    const next = await establish();
    assert.equal((await sentTrack()).deviceId, two.deviceId, 'a new call opens the chosen device');
    await sdk.must('hangup', next.callId);
    await sdk.must('setInputDevice', '');
  });

  test('setOutputDevice() sets the sink of the attached element', async () => {
    const { audiooutput } = await inputs();
    const out = audiooutput.find((d) => d.deviceId !== 'default' && d.deviceId !== '');
    assert.ok(out, JSON.stringify(audiooutput));
    const r = await sdk.invoke('setOutputDevice', out.deviceId);
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(await sdk.sinkId(), out.deviceId);
    await sdk.must('setOutputDevice', '');
    assert.equal(await sdk.sinkId(), '');
  });
});
