// Measures a rendered article the way WeChat's structure checker does: laid out at 375, 585
// and 677 px inside a box that, like the WeChat client, caps every element at 100% of its
// container. pipeline/render/layout.py loads this file once per page and calls
// window.wxpubMeasure(html) for each article; it returns plain findings, and layout.py
// turns them into problems (codes and Chinese messages live there, not here).
(() => {
  // The order matters: the first screen is the base the others are compared with.
  const SCREENS = [585, 677, 375];
  const BLOCK = new Set(['P', 'DIV', 'SECTION', 'LI', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'TABLE']);
  const NEST_LIMIT = 15; // the level at which WeChat's editor starts unwrapping layers
  const NEST_STEPS = NEST_LIMIT - 2;
  // Tags the editor never unwraps (its own list, matched anywhere in the tag name).
  const KEPT_TAGS = /iframe|video|audio|cps|mp|img|animateTransform|hr|path|br|svg|^g$|^a$/i;
  const SNIPPET = 160;
  // Where the spec also counts lines from the height: blocks (and links) holding text themselves.
  const TEXT_BLOCK = new Set(['P', 'DIV', 'SECTION', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'LI', 'TD', 'A']);

  const box = () => document.getElementById('article');
  const settle = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));

  function shell(el) {
    // The start tag only: enough to find the element in the HTML, short enough to print.
    const clone = el.cloneNode(false);
    const text = clone.outerHTML;
    const end = text.indexOf('>') + 1;
    return (end > 0 ? text.slice(0, end) : text).slice(0, SNIPPET);
  }

  function visibleText(el) {
    return (el.textContent || '').replace(/[\s\u200b\u00a0]/g, '');
  }

  function hasDirectText(el) {
    return Array.from(el.childNodes).some((c) => c.nodeType === Node.TEXT_NODE && c.nodeValue.trim() !== '');
  }

  // The spec judges overflow per paragraph: the innermost blocks that hold no further block
  // (a blockquote counts as one paragraph however much it holds).
  function paragraphs(root) {
    const found = [];
    for (const child of root.children) {
      const splits = child.tagName !== 'BLOCKQUOTE' && Array.from(child.children).some((c) => BLOCK.has(c.tagName));
      if (splits) found.push(...paragraphs(child));
      else found.push(child);
    }
    return found;
  }

  function isBlank(el) {
    const html = el.innerHTML.trim();
    return html === '' || /^(\s*<br[^>]*>\s*)*$/i.test(html);
  }

  // Elements whose width must behave the same on every screen: images, table header
  // cells and anything given a width of its own (auto and 100% follow the screen anyway).
  function widthCandidates(root) {
    const found = [];
    for (const el of root.querySelectorAll('*')) {
      const tag = el.tagName.toLowerCase();
      const width = el.style.getPropertyValue('width').trim();
      if (tag === 'img') found.push(el);
      else if (tag === 'th' && el.closest('thead')) found.push(el);
      else if (tag !== 'svg' && width !== '' && !/auto|100%/i.test(width)) found.push(el);
    }
    return found;
  }

  function measureWidth(el, frame, screen) {
    const r = el.getBoundingClientRect();
    const width = Math.round(r.width);
    // Its distances to the two edges add up to nothing: it is exactly as wide as the screen
    // (the spec calls this centred). Such a box shifted sideways does not count as overflow.
    const spans = Math.abs((r.left - frame.left) + (frame.right - r.right)) <= 1;
    const overflowing = (r.left < frame.left - 1 || r.right > frame.right + 1) && !spans;
    return { screen, width, ratio: width / screen, spans, overflowing,
             left: Math.round(r.left - frame.left), right: Math.round(r.right - frame.left) };
  }

  // How a width candidate behaves across the screens: one of 'overflow', 'span' (it spans
  // some screens but not others),
  // 'width' (its share of the screen changes), or '' when it is fine.
  function widthVerdict(m, paragraphOnly) {
    if (paragraphOnly) return m.some((s) => s.overflowing) ? 'overflow' : '';
    const base = m[0];
    const widthDiffers = m.some((s) => Math.abs(s.width - base.width) > 10);
    const ratioTolerance = m.some((s) => s.ratio === 1) ? 0 : 0.2;
    const ratioDiffers = m.some((s) => Math.abs(s.ratio - base.ratio) > ratioTolerance);
    const overflowDiffers = m.some((s) => s.overflowing !== base.overflowing);
    const spansAll = m.every((s) => s.spans);
    if (spansAll) return overflowDiffers ? 'overflow' : '';
    if (m.some((s) => s.spans)) return 'span';
    if (overflowDiffers) return 'overflow';
    if (widthDiffers && ratioDiffers) return 'width';
    return '';
  }

  // Lines overlap when the line box is well below the font size on text that wraps, or is
  // zero (often inherited) on text that takes up space. Judged where the text is: an
  // element's own text follows its line-height, text deeper down follows its own element's.
  function lineOverlap(el) {
    if (!hasDirectText(el)) return null;
    const cs = getComputedStyle(el);
    const font = parseFloat(cs.fontSize);
    const line = cs.lineHeight === 'normal' ? font * 1.2 : parseFloat(cs.lineHeight);
    const height = el.getBoundingClientRect().height;
    if (!(font > 0) || !Number.isFinite(line)) return null;
    if (height > font * 1.2 && line + 10 < font) return { font, line, height };
    if (!TEXT_BLOCK.has(el.tagName)) return null;
    if (line === 0 && height > 0) return { font, line, height };
    if (line > 0) {
      const lines = Math.round(height / line);
      if (lines >= 2 && height / lines < font * 0.95) return { font, line, height };
    }
    return null;
  }

  // Content cut off by a fixed height: a descendant taller than the whole article can only
  // come from a box that keeps a height its content does not fit in. Blame the nearest box
  // with an inline height on the way down.
  function heightCut(root) {
    const limit = root.getBoundingClientRect().height;
    const slack = limit > 200 ? 20 : 5;
    const walk = (el, depth, heldBy) => {
      if (depth > 10) return null;
      for (const child of el.children) {
        const overflowY = getComputedStyle(child).overflowY;
        if (overflowY === 'auto' || overflowY === 'scroll') continue;
        const height = child.offsetHeight;
        if (height > limit + slack) return { child, height, limit, heldBy };
        const fixed = /(^|;)\s*height\s*:\s*(?!auto\s*(;|$))/i.test(child.getAttribute('style') || '');
        const found = walk(child, depth + 1, heldBy || (fixed ? child : null));
        if (found) return found;
      }
      return null;
    };
    return walk(root, 0, null);
  }

  // Deep nesting, judged as WeChat's editor would unwrap it: from every element 15 levels
  // down, look up (then down) the chain of only children for a layer whose tag and style
  // repeat one already passed; the editor removes such a layer, so the article changes.
  function nestLevels(root) {
    const deep = [];
    const walk = (el, level) => {
      if (level >= NEST_LIMIT) { deep.push(el); return; }
      for (const child of el.children) walk(child, level + 1);
    };
    // The article's root counts as level 1 (WeChat's editor counts its own root so), its
    // top-level elements as 2: the 15th level is 14 elements deep.
    for (const child of root.children) walk(child, 2);
    return deep;
  }

  function redundantLayer(start) {
    const tags = new Set();
    const styles = new Set();
    const upperStyles = new Set();
    const seenTag = (tag) => { const seen = tags.has(tag); tags.add(tag); return seen; };
    const seenStyle = (style, upper) => {
      let seen = true;
      for (const part of style.split(';')) {
        if (upper ? !upperStyles.has(part) : !styles.has(part) && !upperStyles.has(part)) {
          seen = false;
          (upper ? upperStyles : styles).add(part);
        }
      }
      return seen;
    };
    const repeats = (el, upper) => {
      const tag = el.tagName.toLowerCase();
      return seenTag(tag) && seenStyle(el.getAttribute('style') || '', upper);
    };
    let node = start;
    for (let step = 0; step < NEST_STEPS; step++) {
      const parent = node.parentElement;
      const grand = parent && parent.parentElement;
      if (!parent || !grand || grand.children.length !== 1 || parent.id === 'article') continue;
      if (!repeats(parent, true)) node = parent;
      else if (!KEPT_TAGS.test(parent.tagName.toLowerCase())) return parent;
    }
    const stack = [{ el: start, fresh: false }];
    while (stack.length) {
      const { el, fresh } = stack.pop();
      if (fresh) { tags.clear(); styles.clear(); }
      const kids = el.children;
      if (kids.length > 1) {
        for (let i = kids.length - 1; i >= 0; i--) stack.push({ el: kids[i], fresh: true });
      } else if (kids.length === 1) {
        const only = kids[0];
        const grandKids = only.children;
        if (grandKids.length > 1) {
          for (let i = grandKids.length - 1; i >= 0; i--) stack.push({ el: grandKids[i], fresh: true });
        } else if (grandKids.length === 1 && grandKids[0].children.length > 0) {
          if (!repeats(only, false)) stack.push({ el: only, fresh: false });
          else if (!KEPT_TAGS.test(only.tagName.toLowerCase())) return only;
        }
      }
    }
    return null;
  }

  async function imagesSettled(root, timeoutMs) {
    const pending = Array.from(root.querySelectorAll('img')).filter((img) => !img.complete);
    const all = Promise.all(pending.map((img) => new Promise((resolve) => {
      img.addEventListener('load', resolve, { once: true });
      img.addEventListener('error', resolve, { once: true });
    })));
    await Promise.race([all, new Promise((resolve) => setTimeout(resolve, timeoutMs))]);
    // An image that did not load is measured at the size the article gives it (its inline
    // width, else the width WeChat's editor records in data-w, else its width attribute; the
    // height from data-ratio), else as a 1 px stand-in, as the reader's placeholder.
    for (const img of root.querySelectorAll('img')) {
      if (img.complete && img.naturalWidth > 0) continue;
      const width = [img.style.width, img.getAttribute('data-w'), img.getAttribute('width')]
        .map((v) => parseFloat(v || '')).find((v) => v > 0);
      const ratio = parseFloat(img.getAttribute('data-ratio') || '');
      if (width) {
        img.style.width = width + 'px';
        if (ratio > 0) img.style.height = width * ratio + 'px';
      } else {
        img.src = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'%3E%3C/svg%3E";
      }
    }
  }

  // `base`: where the article's relative image paths point; a new one per article, so an image
  // of the previous article with the same name is never taken from the page's cache.
  window.wxpubMeasure = async (html, imageTimeoutMs, base) => {
    document.querySelector('base').href = base;
    const root = box();
    root.style.width = SCREENS[0] + 'px';
    root.innerHTML = html;
    const findings = [];
    try {
      await imagesSettled(root, imageTimeoutMs);
      // A paragraph is judged for overflow only, even when it has a width of its own: its
      // text reflows on any screen (WeChat's checker does the same).
      const paras = paragraphs(root).filter((p) => !isBlank(p));
      const inParas = new Set(paragraphs(root));
      const candidates = [...paras.map((el) => ({ el, paragraphOnly: true })),
                          ...widthCandidates(root).filter((el) => !inParas.has(el))
                            .map((el) => ({ el, paragraphOnly: false }))];
      const texts = Array.from(root.querySelectorAll('*')).filter((el) => el.tagName !== 'svg' && visibleText(el) !== '');
      const pres = Array.from(root.querySelectorAll('pre')).filter((el) => visibleText(el) !== '');
      const widths = candidates.map(() => []);
      const preOver = new Map();
      const overlaps = new Map();

      await settle();
      const cut = heightCut(root);
      if (cut) {
        findings.push({ kind: 'height', snippet: shell(cut.heldBy || cut.child), screen: SCREENS[0],
                        height: cut.height, limit: Math.round(cut.limit) });
      }
      for (const screen of SCREENS) {
        root.style.width = screen + 'px';
        const frame = root.getBoundingClientRect();
        candidates.forEach((c, i) => widths[i].push(measureWidth(c.el, frame, screen)));
        for (const pre of pres) {
          if (!preOver.has(pre) && pre.scrollWidth > pre.clientWidth + 1) {
            preOver.set(pre, { screen, scroll: pre.scrollWidth, client: pre.clientWidth });
          }
        }
        for (const el of texts) {
          if (overlaps.has(el)) continue;
          const overlap = lineOverlap(el);
          if (overlap) overlaps.set(el, { screen, ...overlap });
        }
      }
      candidates.forEach((c, i) => {
        const verdict = widthVerdict(widths[i], c.paragraphOnly);
        if (verdict) findings.push({ kind: verdict, snippet: shell(c.el), screens: widths[i] });
      });
      for (const [pre, m] of preOver) findings.push({ kind: 'pre', snippet: shell(pre), ...m });
      for (const [el, m] of overlaps) findings.push({ kind: 'line-height', snippet: shell(el), ...m });
      const layers = new Set();
      for (const el of nestLevels(root)) {
        const layer = redundantLayer(el);
        if (layer && !layers.has(layer)) {
          layers.add(layer);
          findings.push({ kind: 'nesting', snippet: shell(layer) });
        }
      }
    } finally {
      root.innerHTML = '';
    }
    return findings;
  };
})();
