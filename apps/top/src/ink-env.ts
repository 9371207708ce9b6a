// Ink decides once, as it loads, whether it runs in CI (`CI` or `CONTINUOUS_INTEGRATION` set and
// not "0"/"false"); there it draws only the last frame, so a live view in a shell that exports
// CI=true would look frozen. catalyst-top on a terminal is a person's live view: the bin hides the
// two variables while Ink loads and gives them back right after (child processes see them).

const CI_VARIABLES = ["CI", "CONTINUOUS_INTEGRATION"] as const;

/** Removes the CI variables from `env`; returns a function that puts back what was there. */
export function hideCiFromInk(env: NodeJS.ProcessEnv): () => void {
  const saved = CI_VARIABLES.filter((name) => name in env).map((name) => [name, env[name]] as const);
  for (const [name] of saved) delete env[name];
  return () => {
    for (const [name, value] of saved) env[name] = value;
  };
}
