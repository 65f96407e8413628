// One shard of a swarm: every replica reviews the open issues whose number falls in its shard
// (number % ORB_REPLICA_COUNT === ORB_REPLICA_INDEX), then sleeps and looks again.
const index = Number(process.env.ORB_REPLICA_INDEX);
const count = Number(process.env.ORB_REPLICA_COUNT);
const repo = process.env.GITHUB_REPOSITORY;
const headers = { Accept: 'application/vnd.github+json', Authorization: `Bearer ${process.env.GITHUB_TOKEN}` };
const seen = new Set();

async function reviewOnce() {
  const response = await fetch(`https://api.github.com/repos/${repo}/issues?state=open&per_page=100`, { headers });
  if (!response.ok) throw new Error(`GitHub answered ${response.status}`);
  for (const issue of await response.json()) {
    if (issue.number % count !== index || seen.has(issue.number)) continue;
    seen.add(issue.number);
    console.log(`shard ${index}/${count}: #${issue.number} ${issue.title} (${issue.comments} comments)`);
  }
}

console.log(`shard ${index} of ${count} watching ${repo}`);
for (;;) {
  await reviewOnce().catch((e) => console.error(`shard ${index}: ${e.message}`));
  await new Promise((resolve) => setTimeout(resolve, 60_000));
}
