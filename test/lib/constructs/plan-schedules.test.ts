import { beforeEach, describe, expect, it } from 'vitest';
import { useDrillsSynth } from '../../support/state-machine.js';
import type { Synthesized } from '../../support/synth.js';

describe('PlanSchedules: every schedule depends on its schedule group', () => {
  const current = useDrillsSynth();
  let synth: Synthesized;
  beforeEach(() => ({ synth } = current()));

  it.each(['primary', 'dr'] as const)('%s: the group is named as text, so each schedule carries DependsOn the group (created first, deleted last)', (which) => {
    const template = synth[which].toJSON() as { Resources: Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }> };
    const groups = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Scheduler::ScheduleGroup');
    expect(groups).toHaveLength(1);
    const [groupId, group] = groups[0]!;
    const schedules = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Scheduler::Schedule');
    // Snapshots, pruning, exports, drills, the reaper and the freshness monitor (primary); fewer in DR.
    expect(schedules.length).toBeGreaterThan(which === 'primary' ? 4 : 2);
    for (const [id, schedule] of schedules) {
      // A fixed name: no Ref that would order the two on its own.
      expect(schedule.Properties.GroupName, id).toBe(group.Properties.Name);
      expect(schedule.DependsOn ?? [], id).toContain(groupId);
    }
  });
});
