import { type ChildProcess, spawn } from "node:child_process";

/**
 * Every child process a local part starts is registered here, so that a normal
 * exit, an uncaught error, Ctrl-C or SIGTERM kills it. A watchdog per child
 * covers the case no handler can: this process being SIGKILLed.
 */
const children = new Set<ChildProcess>();
let hooked = false;

export function registerChild(child: ChildProcess): () => void {
  hookProcessExit();
  children.add(child);
  const watchdog = child.pid === undefined ? undefined : startWatchdog(child.pid);
  const unregister = () => {
    children.delete(child);
    watchdog?.kill("SIGKILL");
  };
  child.once("exit", unregister);
  return unregister;
}

/** Kill every registered child now (synchronously: usable from an 'exit' handler). */
export function killAllChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  children.clear();
}

function startWatchdog(childPid: number): ChildProcess {
  // Polls our pid; when we are gone (even by SIGKILL) it kills the child.
  const script = `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${childPid} 2>/dev/null; do sleep 1; done; kill -9 ${childPid} 2>/dev/null`;
  const dog = spawn("sh", ["-c", script], { stdio: "ignore", detached: true });
  dog.unref();
  return dog;
}

function hookProcessExit(): void {
  if (hooked) return;
  hooked = true;
  process.once("exit", killAllChildren);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      killAllChildren();
      // Re-raise so the default behaviour (and exit code 128+n) follows.
      process.kill(process.pid, signal);
    });
  }
}
