// Submissions of a team (detections, containments, reports, red actions and
// findings) as the consoles list them, with the judges' verdicts beside them.

import { CappedList, duration, el, ref, t, vnTime } from './console.js';

/** Event kinds that carry a record, and the record kind they carry. */
export const RECORD_EVENTS = {
  detection_recorded: 'detection',
  containment_recorded: 'containment',
  red_action_recorded: 'red_action',
  red_finding_recorded: 'red_finding',
  report_submitted: 'report',
};

/** The record an event carries (its `data` is the record as the API returns it). */
export function recordOf(event) {
  const kind = RECORD_EVENTS[event.kind];
  if (!kind) return null;
  return { ...event.data, record_kind: kind, received_at: event.data.received_at || event.at, seq: event.seq };
}

/** A short title for any record. */
export function recordTitle(r) {
  switch (r.record_kind) {
    case 'report':
      return `${t(`report-${r.kind}`)}${r.form && r.form.description ? ` — ${r.form.description.slice(0, 80)}` : ''}`;
    case 'red_finding':
      return r.vuln_name || '';
    case 'containment':
      return `${t(`containment-${r.action}`)}${r.description ? ` — ${r.description.slice(0, 80)}` : ''}`;
    default:
      return r.title || '';
  }
}

/** The client's own claimed time of a record, if it has one. */
export function claimedTime(r) {
  return r.observed_at || r.executed_at || r.effective_at || r.discovered_at || (r.form && r.form.reported_at) || null;
}

/** The id of the record (or inject, for expectations) a verdict judges. */
export function evaluationTarget(e) {
  if (!e || typeof e.target_key !== 'string') return null;
  return e.target_key.split(':')[1] || null;
}

/** A verdict in words. */
export function verdictText(v) {
  if (!v) return t('verdict-pending');
  const parts = [];
  switch (v.target) {
    case 'detection':
      if (v.false_positive) parts.push(t('verdict-false_positive'));
      else parts.push(t('verdict-linked', [v.links?.inject_id ? t('kind-inject') : null, v.links?.red_action_id ? t('kind-red_action') : null].filter(Boolean).join(', ')));
      break;
    case 'expectation':
      parts.push(t(`verdict-${v.verdict}`));
      if (v.points !== null && v.points !== undefined) parts.push(t('points', v.points));
      break;
    case 'red_finding':
      parts.push(t(v.accepted ? 'verdict-accepted' : 'verdict-rejected'));
      if (v.severity) parts.push(t(`severity-${v.severity}`));
      break;
    case 'red_action':
      parts.push(t('verdict-verified', vnTime(v.verified_executed_at)));
      break;
    case 'report':
      parts.push(t('verdict-quality', v.quality));
      break;
    case 'containment':
      parts.push(t(v.effective ? 'verdict-effective' : 'verdict-ineffective'));
      break;
    default:
      parts.push(t('judged'));
  }
  if (v.note) parts.push(v.note);
  return t('verdict', parts.join(' · '));
}

/** The list of a team's own submissions ("Bài đã nộp"). */
export class Submissions {
  constructor() {
    this.verdicts = new Map(); // target id → latest evaluation
    this.list = new CappedList(ref('mine'), ref('mine-more'), {
      render: (r) => this.render(r),
      emptyEl: ref('mine-empty'),
    });
    this.count = ref('mine-count');
  }

  add(record) {
    this.list.add(record.id, record);
    this.count.textContent = `(${this.list.size})`;
  }

  judge(evaluation) {
    const target = evaluationTarget(evaluation);
    if (!target) return;
    this.verdicts.set(target, evaluation);
    const r = this.list.get(target);
    if (r) this.list.update(target, r);
  }

  render(r) {
    const v = this.verdicts.get(r.id);
    const claimed = claimedTime(r);
    return el('li', { class: `record kind-${r.record_kind}${v ? ' judged' : ''}`, dataset: { id: r.id } },
      el('div', { class: 'record-head' },
        el('span', { class: 'badge', text: t(`kind-${r.record_kind}`) }),
        el('strong', { text: recordTitle(r) })),
      el('p', { class: 'meta muted' },
        t('received-at', vnTime(r.received_at)),
        claimed ? ` · ${t('claimed-at', vnTime(claimed))}` : '',
        r.technique ? ` · ${r.technique}` : '',
        r.evidence_ids && r.evidence_ids.length ? ` · ${t('evidence')}: ${r.evidence_ids.length}` : ''),
      el('p', { class: `verdict${v ? '' : ' pending'}`, text: verdictText(v) }));
  }
}

export { duration };
