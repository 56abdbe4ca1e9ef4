/** The plan `spew apply` answers, one line per appliance. */
import type { ApplyAnswer, PlanAction } from '../api/wire.js';
import type { Paint, Style } from './style.js';

const ACTION_STYLE: Record<PlanAction, Style> = {
  create: 'green',
  update: 'yellow',
  unchanged: 'dim',
  remove: 'red',
};

export function renderPlan(answer: ApplyAnswer, paint: Paint): string {
  const lines = answer.plan.map((entry) => paint(`${entry.action} ${entry.name}`, ACTION_STYLE[entry.action]));
  lines.push(answer.applied ? 'applied' : 'dry run: nothing applied');
  return lines.join('\n');
}
