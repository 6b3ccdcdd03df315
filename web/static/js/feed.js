// The inject feed of the responder and red-team consoles: injects arrive live,
// newest on top; unacknowledged ones are highlighted; a new one chimes and, when
// allowed, raises a browser notification.

import {
  CappedList, api, chime, drillPath, el, notify, offerNotifications, pick, ref, showError, t, vnTime,
} from './console.js';

export class InjectFeed {
  constructor({ onInject } = {}) {
    this.onInject = onInject || (() => {});
    this.list = new CappedList(ref('feed'), ref('feed-more'), {
      render: (item) => this.render(item),
      emptyEl: ref('feed-empty'),
    });
    this.acked = new Map(); // inject_id → received_at of our team's ack
    this.counter = ref('unread-count');
    offerNotifications();
  }

  /** Handles the events that concern the feed; returns true when it did. */
  handle(event, live) {
    const d = event.data || {};
    if (event.kind === 'inject_released') {
      const item = {
        inject_id: d.inject_id,
        key: d.key,
        title: pick(d.title),
        body: pick(d.body),
        channel: d.channel,
        released_at: d.released_at || event.at,
        fresh: live,
      };
      this.list.add(d.inject_id, item);
      this.onInject(item);
      if (live) {
        chime();
        notify(`${t('new-inject')}: ${item.title}`, item.body);
      }
      this.paintCount();
      return true;
    }
    if (event.kind === 'ack_recorded') {
      this.markAcked(d.inject_id, d.received_at || event.at);
      return true;
    }
    return false;
  }

  markAcked(injectId, at) {
    if (this.acked.has(injectId)) return;
    this.acked.set(injectId, at);
    const item = this.list.get(injectId);
    if (item) this.list.update(injectId, { ...item, fresh: false });
    this.paintCount();
  }

  paintCount() {
    // Acks only exist for released injects, so the difference is the unread count.
    const unread = Math.max(0, this.list.size - this.acked.size);
    this.counter.textContent = unread ? `(${unread} ${t('unread').toLowerCase()})` : '';
    document.title = (unread ? `(${unread}) ` : '') + document.title.replace(/^\(\d+\) /, '');
  }

  render(item) {
    const ackedAt = this.acked.get(item.inject_id);
    const unread = !ackedAt;
    const ackButton = el('button', {
      type: 'button',
      class: 'primary',
      text: t('ack'),
      onclick: async (e) => {
        const b = e.currentTarget;
        b.disabled = true;
        try {
          const ack = await api('POST', drillPath('/acks'), { inject_id: item.inject_id });
          this.markAcked(item.inject_id, ack.received_at);
        } catch (err) {
          b.disabled = false;
          showError(t('error', err.message || t('error-network')));
        }
      },
    });
    return el('li', {
      class: `inject${unread ? ' unread' : ''}${item.fresh ? ' fresh' : ''}`,
      dataset: { injectId: item.inject_id, key: item.key },
    },
    el('div', { class: 'inject-head' },
      unread ? el('span', { class: 'badge new', text: t('unread') }) : null,
      el('span', { class: 'badge channel', text: t(`channel-${item.channel}`) }),
      el('h3', { text: item.title }),
    ),
    el('p', { class: 'meta muted', text: t('released-at', vnTime(item.released_at)) }),
    item.body ? el('p', { class: 'body', text: item.body }) : null,
    el('div', { class: 'inject-actions' },
      unread ? ackButton : el('span', { class: 'acked', text: `✓ ${t('acked')} · ${vnTime(ackedAt)}` })));
  }

  /** Released injects, newest first, for the "linked inject" selects. */
  injects() { return this.list.values().reverse(); }
}
