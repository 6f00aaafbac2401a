/**
 * Stands in for `@smithy/core/event-streams` in the Lambda bundles (LAMBDA_BUNDLE_ALIASES). Every SDK
 * client reaches that module: its protocol imports it dynamically for operations that stream events
 * (S3 SelectObjectContent, Lambda InvokeWithResponseStream, …), which CommonJS bundles inline, and the
 * S3 and Lambda clients wire its marshaller into their config. No Tidemark function calls such an
 * operation, so the ~15 KB codec is left out; a client is still built as before, and an event-stream
 * operation, if one is ever added, fails with this error instead of sending anything.
 */
const unused = (what: string): never => {
  throw new Error(
    `${what}: AWS event-stream operations are not bundled in Tidemark's Lambda functions (lambdas/shared/eventStreamsUnused.ts)`,
  );
};

/** The marshaller a client's config holds; it is only asked to work by an event-stream operation. */
export const eventStreamSerdeProvider = (_options: unknown) => ({
  serialize: () => unused("serializing an event stream"),
  deserialize: () => unused("deserializing an event stream"),
});

/** Same as the SDK's resolver: the config gets its marshaller from the provider. */
export const resolveEventStreamSerdeConfig = <T extends { eventStreamSerdeProvider: (input: T) => unknown }>(
  input: T,
) => Object.assign(input, { eventStreamMarshaller: input.eventStreamSerdeProvider(input) });

/** What a protocol builds to read or write an event stream. */
export class EventStreamSerde {
  constructor(_options: unknown) {
    unused("an event-stream operation");
  }
}
