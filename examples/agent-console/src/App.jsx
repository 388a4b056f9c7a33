// The agent console: sign in, the registration state, incoming-call banners, a dial pad, the
// calls with their controls, and the live event log. All phone state comes from useKlinkPhone.
import { useEffect, useState } from 'react';
import { useKlinkPhone } from './useKlinkPhone.js';

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

const STATUS_LABEL = {
  signedOut: 'signed out',
  signingIn: 'signing in…',
  registering: 'registering…',
  registered: 'registered',
  unregistered: 'not registered',
  reconnecting: 'reconnecting…',
  failed: 'registration failed',
};

const STATE_LABEL = {
  trying: 'dialling',
  ringing: 'ringing',
  early: 'ringing (early media)',
  active: 'active',
  held: 'on hold',
  ended: 'ended',
};

/** The current time, every second while `on`: the call timers. */
function useNow(on) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!on) return undefined;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [on]);
  return now;
}

function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

const who = (call) => (call.remoteName ? `${call.remoteName} (${call.remoteNumber})` : call.remoteNumber);
const isRingingIn = (call) => call.direction === 'inbound' && call.answeredAt == null && call.state !== 'ended';

function SignIn({ phone }) {
  const [form, setForm] = useState({ userEmail: '', accessToken: '', apiBaseUrl: window.location.origin });
  const busy = phone.status === 'signingIn';
  const set = (field) => (event) => setForm({ ...form, [field]: event.target.value });
  const submit = (event) => {
    event.preventDefault();
    phone.signIn({
      userEmail: form.userEmail.trim(),
      accessToken: form.accessToken.trim(),
      apiBaseUrl: form.apiBaseUrl.trim(),
    });
  };
  return (
    <form className="panel sign-in" onSubmit={submit} aria-label="Sign in">
      <h2>Sign in</h2>
      <label>
        Email
        <input name="userEmail" type="email" autoComplete="username" required value={form.userEmail} onChange={set('userEmail')} placeholder="agent@example.com" />
      </label>
      <label>
        Access token
        <input name="accessToken" type="password" autoComplete="off" required value={form.accessToken} onChange={set('accessToken')} placeholder="kpt_..." />
      </label>
      <label>
        API base URL
        <input name="apiBaseUrl" type="url" required value={form.apiBaseUrl} onChange={set('apiBaseUrl')} />
      </label>
      <button type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      {phone.error && (
        <p className="error" role="alert">
          {phone.error.code}: {phone.error.message}
        </p>
      )}
    </form>
  );
}

function IncomingBanners({ phone }) {
  const ringing = phone.calls.filter(isRingingIn);
  if (ringing.length === 0) return null;
  return (
    <div className="banners">
      {ringing.map((call) => (
        <div key={call.id} className="banner" role="alert" data-call-id={call.id}>
          <span className="pulse" aria-hidden="true" />
          <span>
            Incoming call from <strong>{who(call)}</strong>
          </span>
          <button type="button" className="answer" onClick={() => phone.answer(call.id)}>Answer</button>
          <button type="button" className="reject" onClick={() => phone.reject(call.id)}>Reject</button>
        </div>
      ))}
    </div>
  );
}

function DialPad({ phone }) {
  const [number, setNumber] = useState('');
  const ready = phone.status === 'registered';
  const dial = (event) => {
    event.preventDefault();
    if (!number.trim()) return;
    phone.call(number.trim());
    setNumber('');
  };
  return (
    <form className="panel dial-pad" onSubmit={dial} aria-label="Dial pad">
      <h2>Dial</h2>
      <div className="number-row">
        <input id="number" aria-label="Number" inputMode="tel" value={number} onChange={(e) => setNumber(e.target.value)} placeholder="number" />
        <button type="button" aria-label="Delete last digit" onClick={() => setNumber(number.slice(0, -1))} disabled={!number}>⌫</button>
      </div>
      <div className="keys">
        {KEYS.map((key) => (
          <button key={key} type="button" className="key" onClick={() => setNumber(number + key)}>{key}</button>
        ))}
      </div>
      <button type="submit" className="call-button" disabled={!ready || !number.trim()}>Call</button>
    </form>
  );
}

function CallRow({ call, phone, now }) {
  const [keypad, setKeypad] = useState(false);
  const [sent, setSent] = useState('');
  const answered = call.answeredAt != null;
  const canHold = call.state === 'active' || call.state === 'held';
  const send = async (key) => {
    setSent((s) => s + key);
    await phone.dtmf(call.id, key);
  };
  return (
    <li className={`call state-${call.state}`} data-call-id={call.id} data-state={call.state}>
      <div className="call-head">
        <span className="direction" title={call.direction}>{call.direction === 'inbound' ? '↙' : '↗'}</span>
        <span className="who">{who(call)}</span>
        <span className="state">{STATE_LABEL[call.state] ?? call.state}</span>
        <span className="timer">{answered ? duration(now - call.answeredAt) : ''}</span>
      </div>
      <div className="flags">
        {call.muted && <span className="flag muted">muted</span>}
        {call.held && <span className="flag held">held</span>}
        {call.remoteHeld && <span className="flag remote-held">on hold by the other side</span>}
      </div>
      <div className="controls">
        {isRingingIn(call) ? (
          <>
            <button type="button" onClick={() => phone.answer(call.id)}>Answer</button>
            <button type="button" onClick={() => phone.reject(call.id)}>Reject</button>
          </>
        ) : (
          <>
            <button type="button" disabled={!canHold} onClick={() => (call.held ? phone.unhold(call.id) : phone.hold(call.id))}>
              {call.held ? 'Resume' : 'Hold'}
            </button>
            <button type="button" disabled={!answered} onClick={() => (call.muted ? phone.unmute(call.id) : phone.mute(call.id))}>
              {call.muted ? 'Unmute' : 'Mute'}
            </button>
            <button type="button" disabled={!answered} aria-expanded={keypad} onClick={() => setKeypad(!keypad)}>Keypad</button>
            <button type="button" className="hangup" onClick={() => phone.hangup(call.id)}>Hang up</button>
          </>
        )}
      </div>
      {keypad && (
        <div className="dtmf" aria-label="DTMF keypad">
          <div className="keys">
            {KEYS.map((key) => (
              <button key={key} type="button" className="key" onClick={() => send(key)}>{key}</button>
            ))}
          </div>
          <output className="sent" aria-label="Tones sent">{sent}</output>
        </div>
      )}
    </li>
  );
}

function CallList({ phone }) {
  const now = useNow(phone.calls.some((c) => c.answeredAt != null));
  return (
    <section className="panel calls" aria-label="Calls">
      <h2>Calls</h2>
      {phone.calls.length === 0 ? (
        <p className="empty">No calls.</p>
      ) : (
        <ul>
          {phone.calls.map((call) => (
            <CallRow key={call.id} call={call} phone={phone} now={now} />
          ))}
        </ul>
      )}
    </section>
  );
}

function EventLog({ log }) {
  return (
    <section className="panel log" aria-label="Event log">
      <h2>Events</h2>
      <ol id="log">
        {log.map((entry) => (
          <li key={entry.seq} className={entry.failed ? 'failed' : undefined}>
            <time>{new Date(entry.at).toISOString().slice(11, 23)}</time>
            <span className="name">{entry.failed ? `✗ ${entry.name}` : entry.name}</span>
            <span className="text">{entry.text}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}

export function App() {
  const phone = useKlinkPhone();
  const signedIn = phone.status !== 'signedOut' && phone.status !== 'signingIn';
  return (
    <div className="console">
      <header>
        <h1>Agent console</h1>
        <span id="reg-state" className={`badge ${phone.status}`} role="status">
          {STATUS_LABEL[phone.status] ?? phone.status}
        </span>
        {phone.account && <span className="account">{phone.account}</span>}
        {signedIn && (
          <button type="button" className="sign-out" onClick={phone.signOut}>Sign out</button>
        )}
      </header>
      {/* Every call's remote audio plays here (attachAudio); rendered once, whatever the state. */}
      <audio id="remote-audio" ref={phone.audioRef} autoPlay />
      <IncomingBanners phone={phone} />
      <main>
        <div className="side">{signedIn ? <DialPad phone={phone} /> : <SignIn phone={phone} />}</div>
        <CallList phone={phone} />
        <EventLog log={phone.log} />
      </main>
    </div>
  );
}
