//! A listener registry with `on` / `once` / `off`, generic over the event key and handler.
//!
//! The facade stores JavaScript functions here; native users store closures. Emission is
//! split in two steps ([`Emitter::take_listeners`], then call them) so a listener may
//! subscribe, unsubscribe or call back into the user agent while it runs.

/// Identifies one subscription; returned by [`Emitter::on`] and [`Emitter::once`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ListenerId(pub u64);

#[derive(Debug)]
struct Listener<K, H> {
    id: ListenerId,
    key: K,
    handler: H,
    once: bool,
}

/// Listeners keyed by event name (`K`), each a handler `H`.
#[derive(Debug)]
pub struct Emitter<K, H> {
    listeners: Vec<Listener<K, H>>,
    next_id: u64,
}

impl<K, H> Default for Emitter<K, H> {
    fn default() -> Self {
        Self { listeners: Vec::new(), next_id: 1 }
    }
}

impl<K: PartialEq, H> Emitter<K, H> {
    /// An emitter with no listeners.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn add(&mut self, key: K, handler: H, once: bool) -> ListenerId {
        let id = ListenerId(self.next_id);
        self.next_id += 1;
        self.listeners.push(Listener { id, key, handler, once });
        id
    }

    /// Subscribes `handler` to every emission of `key`.
    pub fn on(&mut self, key: K, handler: H) -> ListenerId {
        self.add(key, handler, false)
    }

    /// Subscribes `handler` to the next emission of `key` only.
    pub fn once(&mut self, key: K, handler: H) -> ListenerId {
        self.add(key, handler, true)
    }

    /// Removes one subscription; returns whether it existed.
    pub fn off(&mut self, id: ListenerId) -> bool {
        let before = self.listeners.len();
        self.listeners.retain(|l| l.id != id);
        self.listeners.len() != before
    }

    /// Removes every subscription to `key`; returns how many were removed.
    pub fn off_all(&mut self, key: &K) -> usize {
        let before = self.listeners.len();
        self.listeners.retain(|l| &l.key != key);
        before - self.listeners.len()
    }

    /// The number of listeners on `key`.
    #[must_use]
    pub fn count(&self, key: &K) -> usize {
        self.listeners.iter().filter(|l| &l.key == key).count()
    }

    /// Calls every listener of `key` in subscription order, then drops the `once` ones.
    pub fn emit(&mut self, key: &K, mut call: impl FnMut(&mut H)) {
        for l in self.listeners.iter_mut().filter(|l| &l.key == key) {
            call(&mut l.handler);
        }
        self.listeners.retain(|l| !(l.once && &l.key == key));
    }

    /// Clones out the listeners of `key` (removing `once` ones) so the caller can run them
    /// without holding a borrow of the emitter: re-entrant emission.
    pub fn take_listeners(&mut self, key: &K) -> Vec<H>
    where
        H: Clone,
    {
        let out = self.listeners.iter().filter(|l| &l.key == key).map(|l| l.handler.clone()).collect();
        self.listeners.retain(|l| !(l.once && &l.key == key));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    type Log = Rc<RefCell<Vec<String>>>;
    type Handler = Rc<dyn Fn(&str)>;
    type Counter = Box<dyn FnMut(&mut i32)>;

    fn handler(log: &Log, name: &'static str) -> Handler {
        let log = log.clone();
        Rc::new(move |v: &str| log.borrow_mut().push(format!("{name}:{v}")))
    }

    #[test]
    fn on_once_off() {
        let log: Log = Rc::default();
        let mut e: Emitter<&'static str, Handler> = Emitter::new();
        let a = e.on("ready", handler(&log, "a"));
        e.once("ready", handler(&log, "b"));
        e.on("other", handler(&log, "c"));
        e.emit(&"ready", |h| h("1"));
        e.emit(&"ready", |h| h("2"));
        assert_eq!(*log.borrow(), ["a:1", "b:1", "a:2"]);
        assert!(e.off(a));
        assert!(!e.off(a));
        e.emit(&"ready", |h| h("3"));
        assert_eq!(log.borrow().len(), 3);
        assert_eq!(e.count(&"other"), 1);
        assert_eq!(e.off_all(&"other"), 1);
    }

    #[test]
    fn take_listeners_allows_reentrancy() {
        let log: Log = Rc::default();
        let mut e: Emitter<u8, Handler> = Emitter::new();
        e.once(1, handler(&log, "x"));
        e.on(1, handler(&log, "y"));
        let hs = e.take_listeners(&1);
        // The emitter is free while the handlers run.
        e.on(1, handler(&log, "z"));
        for h in hs {
            h("v");
        }
        assert_eq!(*log.borrow(), ["x:v", "y:v"]);
        assert_eq!(e.count(&1), 2);
    }

    #[test]
    fn closures_as_handlers() {
        let mut hits = 0;
        let mut e: Emitter<(), Counter> = Emitter::new();
        e.on((), Box::new(|n| *n += 1));
        e.once((), Box::new(|n| *n += 10));
        e.emit(&(), |h| h(&mut hits));
        e.emit(&(), |h| h(&mut hits));
        assert_eq!(hits, 12);
    }
}
