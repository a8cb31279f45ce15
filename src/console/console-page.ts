import { html } from 'hono/html'

/**
 * The console's one HTML document. Everything else is the vanilla client in public/console/
 * (Workers static assets), which talks to the same HTTP API every other client uses.
 */
export const consolePage = () => html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CosyVoice console</title>
<link rel="stylesheet" href="/console/app.css">
<script type="module" src="/console/app.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <span class="brand">CosyVoice</span>
  <nav id="nav" aria-label="Console" hidden></nav>
  <span id="who" class="who"></span>
</header>
<div id="flash" role="status" aria-live="polite" class="flash"></div>
<main id="main" tabindex="-1"><noscript><p>The console needs JavaScript. The HTTP API works without it; see the README.</p></noscript></main>
</body>
</html>`
