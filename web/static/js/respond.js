// Responder (blue team) console: the live inject feed, acknowledgements, detections,
// containments, incident reports, and the team's submissions with their verdicts.

import {
  DrillClock, LiveChannel, boot, drillPath, el, kindSwitch, ref, showClock, tabs, vnTime, wireForm,
} from './console.js';
import { InjectFeed } from './feed.js';
import { Submissions, recordOf, recordTitle } from './records.js';

const root = document.getElementById('console');
const clock = new DrillClock(boot.drill, boot.elapsed_ms);
showClock(clock);
tabs(root);

const injectSelect = ref('inject-select');
const detectionSelects = [...root.querySelectorAll('[data-ref="detection-select"]')];
const initialSelect = ref('initial-select');

// Options are added on top as things arrive, so the newest is first after "none".
function addOption(select, value, label) {
  if (select.querySelector(`option[value="${CSS.escape(value)}"]`)) return;
  const option = el('option', { value, text: label });
  select.insertBefore(option, select.options[1] || null);
}

const feed = new InjectFeed({
  onInject: (item) => addOption(injectSelect, item.inject_id, `${vnTime(item.released_at)} · ${item.title}`),
});
const mine = new Submissions();

function onEvent(event, live) {
  if (event.kind.startsWith('drill_')) { clock.apply(event); return; }
  if (feed.handle(event, live)) return;
  if (event.kind === 'evaluation_recorded') { mine.judge(event.data); return; }
  const record = recordOf(event);
  // Blue teams only receive their own team's records; check anyway so that a
  // responder in two teams never mixes them up.
  if (!record || (record.team_id && boot.me.team_id && record.team_id !== boot.me.team_id)) return;
  mine.add(record);
  if (record.record_kind === 'detection') {
    for (const s of detectionSelects) addOption(s, record.id, `${vnTime(record.received_at)} · ${recordTitle(record)}`);
  }
  if (record.record_kind === 'report' && record.kind === 'initial') {
    addOption(initialSelect, record.id, `${vnTime(record.received_at)} · ${recordTitle(record)}`);
  }
}

wireForm(root.querySelector('[data-form="detection"]'), { path: drillPath('/detections') });
wireForm(root.querySelector('[data-form="containment"]'), { path: drillPath('/containments') });
const reportForm = root.querySelector('[data-form="report"]');
kindSwitch(reportForm, ref('report-kind'));
wireForm(reportForm, { path: drillPath('/reports') });

new LiveChannel({ onEvent }).start();
