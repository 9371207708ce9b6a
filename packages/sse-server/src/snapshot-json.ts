import type { OrchestratorView, Snapshot } from "@catalyst/schema";

/**
 * Serialises snapshots, reusing the JSON of every orchestrator seen before: fuse hands out the
 * same OrchestratorView object while an orchestrator is unchanged, so after one change only that
 * orchestrator is stringified again and the rest is string concatenation. The text equals
 * `JSON.stringify(snapshot)`.
 */
export function createSnapshotSerializer(): (snapshot: Snapshot) => string {
  const cache = new WeakMap<OrchestratorView, string>();
  const orchestratorJson = (view: OrchestratorView): string => {
    let text = cache.get(view);
    if (text === undefined) {
      text = JSON.stringify(view);
      cache.set(view, text);
    }
    return text;
  };
  return (snapshot) => {
    const { generatedAt, orchestrators, needsYou, sourceErrors, ...rest } = snapshot;
    const parts = [
      `{"generatedAt":${JSON.stringify(generatedAt)}`,
      `,"orchestrators":[${orchestrators.map(orchestratorJson).join(",")}]`,
      `,"needsYou":${JSON.stringify(needsYou)}`,
      `,"sourceErrors":${JSON.stringify(sourceErrors)}`,
    ];
    // Fields added later (e.g. `loading`) in their own order, as JSON.stringify would write them.
    const tail = JSON.stringify(rest);
    if (tail !== "{}") parts.push(`,${tail.slice(1, -1)}`);
    parts.push("}");
    return parts.join("");
  };
}
