// Reads a call's RTCPeerConnection.getStats() with plain property access, for stats.rs: the
// same walk in the wasm costs a string and a call per property. Returns the raw values by
// position; stats.rs reads their types and units. One pass over the report, then look-ups by
// id (the selected pair's candidates, the codec). The call has one audio stream and no video,
// so each report type is read as it comes, without looking at `kind`.
export async function readStats(pc) {
  const report = await pc.getStats();
  const v = [];
  let codec, selected, nominated;
  report.forEach((r) => {
    switch (r.type) {
      case 'remote-inbound-rtp':
        v[0] = r.roundTripTime;
        break;
      case 'inbound-rtp':
        v[1] = r.jitter;
        v[2] = r.packetsReceived;
        v[3] = r.packetsLost;
        v[4] = r.bytesReceived;
        v[5] = r.audioLevel;
        codec = r.codecId;
        break;
      case 'outbound-rtp':
        v[6] = r.bytesSent;
        break;
      case 'media-source':
        v[7] = r.audioLevel;
        v[8] = r.totalAudioEnergy;
        break;
      // The pair media uses: the transport names it (Chromium, Safari); else the one ICE
      // nominated (Firefox). Not by `state`: the selected pair shows `in-progress` while a
      // consent check is out, which takes a round trip.
      case 'transport':
        selected = r.selectedCandidatePairId;
        break;
      case 'candidate-pair':
        if (r.nominated) nominated = r;
    }
  });
  const pair = selected === undefined ? nominated : report.get(selected);
  if (pair !== undefined) {
    v[9] = pair.currentRoundTripTime;
    v[10] = report.get(pair.localCandidateId)?.candidateType;
    v[11] = report.get(pair.remoteCandidateId)?.candidateType;
  }
  v[12] = report.get(codec)?.mimeType;
  return v;
}
