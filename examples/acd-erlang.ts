/**
 * Staffing with Erlang C: how many agents answer 80% of calls within 20 s?
 * Run: npx tsx examples/acd-erlang.ts
 */
import { erlangCAgentsNeeded, erlangCAsa, erlangCServiceLevel } from 'strowger/acd';

const callsPerHour = 720;
const aht = 240; // average handle time, seconds
const traffic = (callsPerHour * aht) / 3600; // 48 erlangs
const agents = erlangCAgentsNeeded({ traffic, aht, threshold: 20, target: 0.8 });
console.log(`${traffic} erlangs need ${agents} agents`);
console.log(`service level ${(erlangCServiceLevel(agents, traffic, aht, 20) * 100).toFixed(1)}% in 20 s`);
console.log(`average speed of answer ${erlangCAsa(agents, traffic, aht).toFixed(1)} s`);
