// Live countdowns to stored deadlines: every element with data-deadline shows the time left, updated each second.
// Time left is measured on the server's clock (the page learns the offset from the server's answer), so a skewed
// laptop clock does not move a deadline.
import { fmtDuration } from '../ui.js';

let timer;
let skewMs = 0;
export function setServerNow(iso) {
  skewMs = Date.parse(iso) - Date.now();
}

export function startCountdowns(root) {
  clearInterval(timer);
  const tick = () => {
    const els = root.querySelectorAll('[data-deadline]');
    if (els.length === 0) return clearInterval(timer);
    for (const el of els) el.textContent = fmtDuration((Date.parse(el.dataset.deadline) - (Date.now() + skewMs)) / 1000);
  };
  tick();
  timer = setInterval(tick, 1000);
}
