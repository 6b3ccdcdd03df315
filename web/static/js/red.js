// Red-team console: the injects addressed to the red side, attack actions with
// their execution time, vulnerability findings with the VNCERT guide's fields, and
// the team's submissions with the judges' verdicts. Blue teams never receive these
// events (the server filters them by audience).

import {
  DrillClock, LiveChannel, boot, drillPath, el, ref, showClock, tabs, vnTime, wireForm,
} from './console.js';
import { InjectFeed } from './feed.js';
import { Submissions, recordOf, recordTitle } from './records.js';

const root = document.getElementById('console');
const clock = new DrillClock(boot.drill, boot.elapsed_ms);
showClock(clock);
tabs(root);

const actionSelect = ref('action-select');
const feed = new InjectFeed();
const mine = new Submissions();

function onEvent(event, live) {
  if (event.kind.startsWith('drill_')) { clock.apply(event); return; }
  if (feed.handle(event, live)) return;
  if (event.kind === 'evaluation_recorded') { mine.judge(event.data); return; }
  const record = recordOf(event);
  if (!record || (record.team_id && boot.me.team_id && record.team_id !== boot.me.team_id)) return;
  if (!['red_action', 'red_finding'].includes(record.record_kind)) return;
  mine.add(record);
  if (record.record_kind === 'red_action' && !actionSelect.querySelector(`option[value="${CSS.escape(record.id)}"]`)) {
    actionSelect.insertBefore(
      el('option', { value: record.id, text: `${vnTime(record.executed_at || record.received_at)} · ${recordTitle(record)}` }),
      actionSelect.options[1] || null,
    );
  }
}

wireForm(root.querySelector('[data-form="red_action"]'), { path: drillPath('/red-actions') });
wireForm(root.querySelector('[data-form="red_finding"]'), { path: drillPath('/red-findings') });

new LiveChannel({ onEvent }).start();
