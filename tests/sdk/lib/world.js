'use strict';
// The world the suite seeds swr-sim with (sim/world.cpp's data-file format), so that every
// expected count, Content-Range total and job comes from here, not from the simulator.
//
// It holds a repository whose name has `/` (sent as `team$app`) and an organization and a
// repository with non-ASCII names: swr-sim and the exporter's configuration accept them (the
// loader refuses only spaces, control characters and `/` in organizations), so they reach the
// signer's path and query encoding.

function job(id, day, hour, tag, status, extra = {}) {
  const two = (n) => String(n).padStart(2, '0');
  const at = (minute) => `2026-01-${two(day)}T${two(hour)}:${two(minute)}:00.000000Z`;
  return {id, createdAt: at(0), updatedAt: at(7), tag, status, ...extra};
}

const WORLD = {
  organizations: ['empty-org'],
  repositories: [
    {
      organization: 'team-a',
      repository: 'team/app',
      destinations: [
        {remoteRegionId: 'cn-east-3', remoteNamespace: 'team-a'},
        {remoteRegionId: 'ap-southeast-1', remoteNamespace: 'team-a-mirror', override: true},
      ],
      jobs: [
        job(101, 1, 0, 'v1', 'success'),
        job(102, 1, 1, 'v1', 'success',
            {remoteRegionId: 'ap-southeast-1', remoteNamespace: 'team-a-mirror', override: true}),
        job(103, 2, 0, 'v2', 'failed'),
        job(104, 3, 0, 'v3', 'timeout'),
        job(105, 4, 0, 'v4', 'success'),
        job(106, 5, 0, 'v5', 'running'),
        job(107, 6, 0, 'v6', 'waiting'),
      ],
    },
    {
      organization: 'team-a',
      repository: 'app1',
      destinations: [{remoteRegionId: 'cn-east-3', remoteNamespace: 'team-a'}],
      jobs: [
        job(201, 1, 2, 'latest', 'success'), job(202, 2, 2, 'latest', 'cancel'),
        job(203, 3, 2, 'latest', 'existed')
      ],
    },
    {
      organization: 'team-b',
      repository: 'tools',
      destinations: [{remoteRegionId: 'cn-south-1', remoteNamespace: 'team-b'}],
      jobs: [job(301, 1, 3, '1.0', 'success')],
    },
    {
      organization: 'équipe',
      repository: '镜像/应用',
      destinations: [{remoteRegionId: 'cn-east-3', remoteNamespace: 'équipe'}],
      jobs: [job(401, 1, 4, 'été', 'success'), job(402, 2, 4, 'v2', 'failed')],
    },
  ],
};

// `team/app` as the path wants it.
function pathName(repository) {
  return repository.replaceAll('/', '$');
}

function repository(organization, name) {
  const found =
      WORLD.repositories.find((r) => r.organization === organization && r.repository === name);
  if (!found) throw new Error(`no repository ${organization}/${name} in the suite's world`);
  return found;
}

function organizations() {
  const names = new Set(WORLD.organizations);
  for (const r of WORLD.repositories) names.add(r.organization);
  return [...names].sort();
}

module.exports = {
  WORLD,
  pathName,
  repository,
  organizations
};
