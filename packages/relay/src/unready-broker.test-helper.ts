// A broker whose JetStream cannot answer yet (issue 28), for the start-up tests: the broker runs
// without JetStream and another client answers its API requests as a cluster without a leader
// does (503, "temporarily unavailable"); `recover()` drops that client and restarts the broker
// with JetStream on the same port and store, while the caller's start-up keeps asking.
import type { NatsServer } from "@catalyst/test-utils";
import { connect } from "@nats-io/transport-node";

/** A broker answering 503 to every JetStream request until `recover()`. */
export interface UnavailableJetStream {
  /** The JetStream requests answered 503 so far. */
  requests(): number;
  /** The answering client goes, the broker is restarted with JetStream (same port and store). */
  recover(): Promise<void>;
  /** The answering client goes (a test's cleanup; idempotent). */
  close(): Promise<void>;
}

/** `server` must run without JetStream (`startTestBroker(…, { jetstream: false })` or restarted so). */
export async function answerUnavailable(server: NatsServer): Promise<UnavailableJetStream> {
  const watcher = await connect({ servers: server.url });
  let requests = 0;
  const unavailable = JSON.stringify({
    error: { code: 503, err_code: 10008, description: "JetStream system temporarily unavailable" },
  });
  watcher.subscribe("$JS.API.>", {
    callback: (_error, m) => {
      requests++;
      m.respond(unavailable);
    },
  });
  await watcher.flush();
  return {
    requests: () => requests,
    close: () => watcher.close(),
    async recover() {
      await watcher.close();
      await server.kill();
      await server.restart({ jetstream: true });
    },
  };
}
