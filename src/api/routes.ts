/**
 * The agent's API, route by route: the one place a path is written. The agent serves every
 * route here (http-router.ts refuses to start with one unserved) and the client calls them;
 * the bodies and answers are in wire.ts. `:id` is an appliance's name or ref.
 */
import type { EventRecord } from '../model/appliance-status.js';
import type { HostedEvent } from '../model/cluster.js';
import type { PullEvent } from '../model/image-pull.js';
import { del, get, post } from './route.js';
import type {
  ActionAnswer, AgentAnswer, ApplianceAnswer, ApplyAnswer, ApplyRequest, CreateRequest, DiffAnswer, DiffQuery, EventsQuery, ExplainAnswer, ExportQuery,
  HandoffAnswer, HistoryAnswer, HostsAnswer, IdsQuery, OrphansAnswer, RollbackAnswer, RollbackRequest, SkippedRecords, StatusAnswer, StatusQuery,
  StopRequest, StreamQuery, UpgradeAnswer, UpgradeCheckAnswer, UpgradeCheckRequest, UpgradeRequest,
} from './wire.js';

export const routes = {
  agent: get('/v1/agent').json<AgentAnswer>(),
  /** The agent exits at once, leaving its appliances running for the next agent. */
  handoff: post('/v1/agent/handoff').body<Record<string, never>>().json<HandoffAnswer>(),

  status: get('/v1/appliances').query<StatusQuery>().json<StatusAnswer>(),
  appliance: get('/v1/appliances/:id').json<ApplianceAnswer>(),
  create: post('/v1/appliances').body<CreateRequest>().json<ActionAnswer>(),
  /** Stops the appliance first; answers its last status. */
  remove: del('/v1/appliances/:id').json<ActionAnswer>(),
  start: post('/v1/appliances/:id/start').json<ActionAnswer>(),
  stop: post('/v1/appliances/:id/stop').body<StopRequest>().json<ActionAnswer>(),
  restart: post('/v1/appliances/:id/restart').json<ActionAnswer>(),
  apply: post('/v1/apply').body<ApplyRequest>().json<ApplyAnswer>(),

  /** Captured lines, each `TIMESTAMP STREAM TEXT` with STREAM `out` or `err`. */
  logs: get('/v1/appliances/:id/logs').query<StreamQuery>().text('text/plain; charset=utf-8'),
  /**
   * After the 101 the socket carries captured lines from the agent and, when the appliance was
   * created with `stdin = true`, raw input to the appliance's stdin.
   */
  attach: get('/v1/appliances/:id/attach').upgrade('spew-attach'),
  /** With `follow`, a reader that fell behind is told how many records it missed. */
  events: get('/v1/events').query<EventsQuery>().ndjson<EventRecord | HostedEvent | SkippedRecords>(),

  /** The members of this agent's cluster (NOT_IN_CLUSTER without a `[cluster]` table). */
  hosts: get('/v1/cluster/hosts').json<HostsAnswer>(),

  /** Every pull's progress from now on (of the appliances named), while the stream is open. */
  pulls: get('/v1/pulls').query<IdsQuery>().ndjson<PullEvent>(),
  orphans: get('/v1/docker/orphans').json<OrphansAnswer>(),
  upgradeCheck: post('/v1/upgrades/check').body<UpgradeCheckRequest>().json<UpgradeCheckAnswer>(),
  upgrade: post('/v1/appliances/:id/upgrade').body<UpgradeRequest>().json<UpgradeAnswer>(),

  history: get('/v1/appliances/:id/history').json<HistoryAnswer>(),
  diff: get('/v1/appliances/:id/diff').query<DiffQuery>().json<DiffAnswer>(),
  rollback: post('/v1/appliances/:id/rollback').body<RollbackRequest>().json<RollbackAnswer>(),
  explain: get('/v1/appliances/:id/explain').json<ExplainAnswer>(),
  /** Appliance-file TOML. */
  export: get('/v1/export').query<ExportQuery>().text('application/toml; charset=utf-8'),
};
