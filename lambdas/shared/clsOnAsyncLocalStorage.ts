import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Stands in for `cls-hooked/context` in the Lambda bundles (LAMBDA_BUNDLE_ALIASES): the X-Ray SDK keeps
 * the current segment in a cls-hooked namespace, and cls-hooked (with emitter-listener and shimmer, ~11
 * KB of each bundle) tracks it through an `async_hooks` hook on every promise and callback of the
 * function. This is the part of its API the SDK calls, on node's AsyncLocalStorage, with cls-hooked's
 * semantics: a context entered outside any run (the SDK's Lambda init enters one for the facade
 * segment) is the context everywhere no run is active; `run` gives `fn` a child context that its
 * continuations keep; a child reads what its parent holds unless it sets its own.
 */
type Context = Record<string | symbol, unknown>;

export class Namespace {
  readonly #storage = new AsyncLocalStorage<Context>();
  /** What `enter` set outside any run: cls-hooked's context for everything not inside a run. */
  #entered: Context | undefined;

  constructor(readonly name: string) {}

  get active(): Context | undefined {
    return this.#storage.getStore() ?? this.#entered;
  }

  createContext(): Context {
    return Object.create(this.active ?? Object.prototype) as Context;
  }

  set<T>(key: string, value: T): T {
    const active = this.active;
    if (!active) throw new Error("No context available. ns.run() or ns.bind() must be called first.");
    active[key] = value;
    return value;
  }

  get(key: string): unknown {
    return this.active?.[key];
  }

  run(fn: (context: Context) => void): Context {
    const context = this.createContext();
    this.#storage.run(context, () => fn(context));
    return context;
  }

  runAndReturn<T>(fn: (context: Context) => T): T {
    const context = this.createContext();
    return this.#storage.run(context, () => fn(context));
  }

  bind<F extends (...args: never[]) => unknown>(fn: F, context?: Context): F {
    const bound = context ?? this.active ?? this.createContext();
    const storage = this.#storage;
    return function (this: unknown, ...args: Parameters<F>) {
      return storage.run(bound, () => fn.apply(this, args));
    } as F;
  }

  enter(context: Context): void {
    if (this.#storage.getStore()) this.#storage.enterWith(context);
    else this.#entered = context;
  }
}

const namespaces = new Map<string, Namespace>();

export function createNamespace(name: string): Namespace {
  const namespace = new Namespace(name);
  namespaces.set(name, namespace);
  return namespace;
}

export function getNamespace(name: string): Namespace | undefined {
  return namespaces.get(name);
}

export function destroyNamespace(name: string): void {
  namespaces.delete(name);
}
