// A framework-free page on the script-tag build: window.KlinkCallSdk.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const form = $('config');
  form.apiBaseUrl.value = location.origin;
  let sdk = null;
  let unsubscribers = [];

  function log(text) {
    const li = document.createElement('li');
    li.textContent = new Date().toISOString().slice(11, 23) + '  ' + text;
    $('log').prepend(li);
  }

  function describe(payload) {
    if (!payload) return '';
    return JSON.stringify(payload, (k, v) => (v instanceof MediaStream ? '[MediaStream]' : v));
  }

  // Keypad: dials into the number box, or sends DTMF to the active call.
  for (const key of ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#']) {
    const b = document.createElement('button');
    b.textContent = key;
    b.type = 'button';
    b.onclick = () => {
      const active = sdk && sdk.getCalls().find((c) => c.state === 'active');
      if (active) run(() => sdk.dtmf(active.id, key), 'dtmf ' + key);
      else $('number').value += key;
    };
    $('keypad').append(b);
  }

  async function run(action, label) {
    try {
      await action();
    } catch (e) {
      log('✗ ' + label + ': ' + (e.code || 'error') + ' — ' + e.message);
    }
  }

  let rendered = null;
  function renderCalls() {
    const box = $('calls');
    const calls = sdk ? sdk.getCalls() : [];
    // Rebuild only on change: a rebuilt button under the pointer would swallow the click.
    // `duration` changes every second and is not shown here: it does not count.
    const snapshot = JSON.stringify(calls, (key, value) => (key === 'duration' ? undefined : value));
    if (snapshot === rendered) return;
    rendered = snapshot;
    box.textContent = '';
    if (calls.length === 0) {
      box.innerHTML = '<p class="empty">No calls.</p>';
      return;
    }
    for (const call of calls) {
      const div = document.createElement('div');
      div.className = 'call';
      const who = (call.remoteName ? call.remoteName + ' ' : '') + '<' + call.remoteNumber + '>';
      div.innerHTML = '<span class="state"></span> <span class="who"></span> <span class="flags"></span><br>';
      div.querySelector('.state').textContent = call.direction + ' · ' + call.state;
      div.querySelector('.who').textContent = who;
      div.querySelector('.flags').textContent = (call.muted ? ' muted' : '') + (call.held ? ' held' : '');
      const button = (text, fn) => {
        const b = document.createElement('button');
        b.textContent = text;
        b.onclick = () => run(fn, text + ' ' + call.id);
        div.append(b);
      };
      if (call.direction === 'inbound' && (call.state === 'ringing' || call.state === 'trying')) {
        button('Answer', () => sdk.answer(call.id));
        button('Reject', () => sdk.reject(call.id));
      } else {
        button(call.held ? 'Resume' : 'Hold', () => (call.held ? sdk.unhold(call.id) : sdk.hold(call.id)));
        button(call.muted ? 'Unmute' : 'Mute', () => (call.muted ? sdk.unmute(call.id) : sdk.mute(call.id)));
        button('Hang up', () => sdk.hangup(call.id));
      }
      box.append(div);
    }
  }

  form.onsubmit = async (event) => {
    event.preventDefault();
    $('init').disabled = true;
    $('reg-state').textContent = 'starting…';
    try {
      sdk = await KlinkCallSdk.init({
        userEmail: form.userEmail.value.trim(),
        accessToken: form.accessToken.value.trim(),
        apiBaseUrl: form.apiBaseUrl.value.trim(),
      });
    } catch (e) {
      log('✗ init: ' + e.code + ' — ' + e.message);
      $('reg-state').textContent = 'failed: ' + e.code;
      $('init').disabled = false;
      return;
    }
    sdk.attachAudio($('remote-audio'));
    // sessionStarted: an outbound call dialling, an inbound one answered; callUpdated: the rest
    // of a call's life, the answer of an outbound call (state "active") included.
    const events = ['ready', 'incoming', 'sessionStarted', 'callUpdated', 'sessionEnded', 'remoteStream', 'connected',
      'disconnected', 'registeredChange', 'registrationFailed', 'error', 'destroyed'];
    for (const name of events) {
      unsubscribers.push(sdk.on(name, (payload) => {
        log(name + ' ' + describe(payload));
        renderCalls();
      }));
    }
    unsubscribers.push(sdk.on('registeredChange', ({ registered }) => {
      $('reg-state').textContent = registered ? 'registered' : 'not registered';
    }));
    unsubscribers.push(sdk.on('connected', () => ($('ws-state').textContent = 'connected')));
    unsubscribers.push(sdk.on('disconnected', () => ($('ws-state').textContent = 'reconnecting…')));
    $('reg-state').textContent = sdk.isRegistered ? 'registered' : 'registering…';
    $('ws-state').textContent = 'connected';
    $('dial').disabled = false;
    $('destroy').disabled = false;
    log('ready as ' + form.userEmail.value);
    // Call state also changes without an event of its own (ringing, hold): refresh often.
    if (!window.__klinkRefresh) window.__klinkRefresh = setInterval(renderCalls, 500);
  };

  $('dial').onclick = () => run(async () => {
    const number = $('number').value.trim();
    if (!number) throw Object.assign(new Error('type a number first'), { code: 'input' });
    await sdk.call(number);
    renderCalls();
  }, 'call');

  $('destroy').onclick = () => run(async () => {
    await sdk.destroy();
    unsubscribers.forEach((off) => off());
    unsubscribers = [];
    sdk = null;
    renderCalls();
    $('reg-state').textContent = 'stopped';
    $('ws-state').textContent = 'closed';
    $('init').disabled = false;
    $('dial').disabled = true;
    $('destroy').disabled = true;
  }, 'destroy');
})();
