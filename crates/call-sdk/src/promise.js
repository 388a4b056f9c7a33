// A promise and the function that resolves it, for media.rs: `new Promise(executor)` called
// from the wasm costs a closure type of its own (an export and its glue) for two lines of JS.
export function deferred() {
  let resolve;
  const promise = new Promise((r) => (resolve = r));
  return [promise, resolve];
}
