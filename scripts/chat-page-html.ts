/**
 * A local HTML rendering of an Amazon Q Developer custom notification (the
 * chat format lambdas/domain/alerting/render-chatbot.ts produces) laid out as
 * a Slack message: bold title, the description in Slack's markdown (`code`,
 * *bold*, links), the next steps as a list, the keywords. For the picture in
 * docs/alerts.md only: it is not Slack and not Amazon Q, whose exact layout
 * may differ; every field of the notification is shown, none invented.
 * No emoji font is assumed: the severity emoji are drawn as small shapes.
 */
import type { ChatbotNotification } from '../lambdas/domain/alerting/render-chatbot.js';
import { esc } from '../lambdas/domain/report/readable.js';

/** The shortcodes render-chatbot.ts uses, as inline SVG (a shape and colour per severity). */
const EMOJI: Readonly<Record<string, string>> = {
  rotating_light:
    '<svg class="emoji" viewBox="0 0 16 16" aria-label="rotating_light"><circle cx="8" cy="8" r="7" fill="#e01e5a"/><rect x="7" y="3.5" width="2" height="6" fill="#fff"/><rect x="7" y="11" width="2" height="2" fill="#fff"/></svg>',
  red_circle: '<svg class="emoji" viewBox="0 0 16 16" aria-label="red_circle"><circle cx="8" cy="8" r="7" fill="#dd2e44"/></svg>',
  warning:
    '<svg class="emoji" viewBox="0 0 16 16" aria-label="warning"><path d="M8 1 15 15H1Z" fill="#ffcc4d"/><rect x="7.2" y="6" width="1.6" height="5" fill="#231f20"/><rect x="7.2" y="12" width="1.6" height="1.6" fill="#231f20"/></svg>',
  information_source:
    '<svg class="emoji" viewBox="0 0 16 16" aria-label="information_source"><rect x="1" y="1" width="14" height="14" rx="3" fill="#3b88c3"/><rect x="7" y="7" width="2" height="6" fill="#fff"/><rect x="7" y="3.5" width="2" height="2" fill="#fff"/></svg>',
  white_check_mark:
    '<svg class="emoji" viewBox="0 0 16 16" aria-label="white_check_mark"><rect x="1" y="1" width="14" height="14" rx="3" fill="#77b255"/><path d="M4 8.5 7 11.5 12 5" stroke="#fff" stroke-width="2" fill="none"/></svg>',
};

/** Slack's markdown (mrkdwn) of one line as HTML: code spans, *bold*, bare links, emoji shortcodes. */
export function mrkdwnToHtml(line: string): string {
  // Code spans first: nothing inside them is formatted.
  return line
    .split(/(`[^`]+`)/)
    .map((part) => {
      if (part.startsWith('`') && part.endsWith('`') && part.length > 1) return `<code>${esc(part.slice(1, -1))}</code>`;
      return esc(part)
        .replace(/\*([^*\n]+)\*/g, '<b>$1</b>')
        .replace(/https?:\/\/[^\s<]+/g, (url) => `<a href="${url}">${url}</a>`)
        .replace(/:([a-z_]+):/g, (m, code: string) => EMOJI[code] ?? m);
    })
    .join('');
}

const STYLE = `
body { margin: 0; background: #fff; font: 15px/1.46668 "Liberation Sans", "DejaVu Sans", Arial, sans-serif; color: #1d1c1d; }
.channel { border-bottom: 1px solid #ddd; padding: 10px 20px; font-weight: 700; font-size: 18px; }
.msg { display: flex; gap: 8px; padding: 8px 20px 16px; }
.avatar { width: 36px; height: 36px; border-radius: 4px; background: #232f3e; color: #ff9900; font-weight: 700; display: flex; align-items: center; justify-content: center; flex: none; }
.who b { font-weight: 900; } .app { background: #e8e8e8; color: #616061; font-size: 10px; font-weight: 700; padding: 1px 3px; border-radius: 2px; margin: 0 4px; } .time { color: #616061; font-size: 12px; }
.card { border-left: 4px solid #dddddd; padding: 2px 0 2px 12px; margin-top: 4px; }
.title { font-weight: 700; margin-bottom: 4px; } .desc p { margin: 0; min-height: 0.7em; }
h4 { margin: 10px 0 2px; font-size: 15px; } ul { margin: 0; padding-left: 22px; }
code { font: 12px "DejaVu Sans Mono", monospace; color: #e01e5a; background: #f8f8f8; border: 1px solid #e8e8e8; border-radius: 3px; padding: 1px 3px; }
a { color: #1264a3; text-decoration: none; } .emoji { width: 18px; height: 18px; vertical-align: -3px; }
.keywords { margin-top: 8px; display: flex; gap: 6px; flex-wrap: wrap; } .keywords span { background: #f1f1f1; border-radius: 10px; padding: 0 8px; font-size: 13px; color: #454245; }
.note { color: #616061; font-size: 12px; padding: 0 20px 12px; }`;

/** The notification as a Slack-style message page (`channel`, `time`: the chrome around it). */
export function chatPageHtml(n: ChatbotNotification, o: { readonly channel: string; readonly time: string; readonly note: string }): string {
  const c = n.content;
  const description = c.description
    .split('\n')
    .map((line) => `<p>${mrkdwnToHtml(line)}</p>`)
    .join('');
  const steps = c.nextSteps?.length ? `<h4>Next Steps</h4><ul>${c.nextSteps.map((s) => `<li>${mrkdwnToHtml(s)}</li>`).join('')}</ul>` : '';
  const keywords = c.keywords.length ? `<div class="keywords">${c.keywords.map((k) => `<span>${esc(k)}</span>`).join('')}</div>` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(n.metadata.summary)}</title><style>${STYLE}</style></head><body>
<div class="channel"># ${esc(o.channel)}</div>
<div class="msg"><div class="avatar">Q</div><div><div class="who"><b>Amazon Q</b><span class="app">APP</span><span class="time">${esc(o.time)}</span></div>
<div class="card"><div class="title">${c.title ? mrkdwnToHtml(c.title) : ''}</div><div class="desc">${description}</div>${steps}${keywords}</div></div></div>
<div class="note">${esc(o.note)}</div>
</body></html>`;
}
