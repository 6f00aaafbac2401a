/** A minimal SSE client for tests: parses frames as they arrive. */
export interface SseFrame {
  readonly id?: string;
  readonly event: string;
  readonly data: string;
}

export interface SseClient {
  readonly status: number;
  readonly frames: SseFrame[];
  /** Comment lines received (the server's heartbeats). */
  readonly heartbeats: () => number;
  /** Resolves once `predicate` holds for the frames received (rejects after `timeoutMs`). */
  until(predicate: (frames: SseFrame[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

export async function openSse(
  url: string,
  headers: Record<string, string> = {},
  { read = true }: { read?: boolean } = {},
): Promise<SseClient> {
  const abort = new AbortController();
  const res = await fetch(url, {
    headers: { accept: "text/event-stream", ...headers },
    signal: abort.signal,
  });
  const frames: SseFrame[] = [];
  const waiters: (() => void)[] = [];
  let buffer = "";
  let heartbeats = 0;
  const reader = res.body?.getReader();
  const decoder = new TextDecoder();
  const ended = (async () => {
    if (!read || reader === undefined) return;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let cut = buffer.indexOf("\n\n");
        while (cut >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const f: { id?: string; event: string; data: string[] } = { event: "message", data: [] };
          let any = false;
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) {
              heartbeats++;
              continue;
            }
            any = true;
            const [k, ...rest] = line.split(":");
            const v = rest.join(":").replace(/^ /, "");
            if (k === "id") f.id = v;
            else if (k === "event") f.event = v;
            else if (k === "data") f.data.push(v);
          }
          if (any) frames.push({ id: f.id, event: f.event, data: f.data.join("\n") });
          cut = buffer.indexOf("\n\n");
        }
        for (const w of waiters.splice(0)) w();
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    status: res.status,
    frames,
    heartbeats: () => heartbeats,
    ended,
    close: () => abort.abort(),
    async until(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(frames)) {
        if (Date.now() > deadline) throw new Error(`SSE: condition not met; ${frames.length} frames`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
  };
}
