import { fanOut, latency, manyTopics } from './fan-out-scenarios.js';
import { idleMemory } from './idle-memory-scenario.js';
import { reconnectStorm } from './reconnect-storm-scenario.js';
import type { Scenario } from './scenario-types.js';
import { sqlitePublish } from './sqlite-publish-scenario.js';
import { workers } from './workers-scenario.js';

/** Subscriber counts of the scenarios: the issue's, or small ones for `--quick`. */
export interface Sizes {
  small: number;
  large: number;
  huge: number;
}

/** Every scenario, in run order. */
export function allScenarios(sizes: Sizes): Scenario[] {
  return [
    fanOut('fanout-1k', sizes.small),
    fanOut('fanout-10k', sizes.large),
    latency('latency-10', sizes.large, 10),
    latency('latency-100', sizes.large, 100),
    manyTopics('many-topics', sizes.large),
    idleMemory('idle-10k', sizes.large),
    reconnectStorm('reconnect-storm', sizes.large),
    sqlitePublish('sqlite-publish'),
    workers('workers', sizes.large),
    // Last: its 50k closed connections leave as many ports in TIME_WAIT on the source addresses
    // for a minute, and a scenario after it could not bind enough new ones (the storm took 26 s
    // instead of 4 behind it, its clients retrying EADDRINUSE).
    idleMemory('idle-50k', sizes.huge),
  ];
}
