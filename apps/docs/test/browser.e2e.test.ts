// The built site in a real browser: Debian's chromium through playwright-core, WebGPU on
// SwiftShader. scripts/setup.sh installs chromium; without it this test fails (CI runs the
// setup first, so a missing browser is a broken setup, not a reason to skip).
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { build, preview, type PreviewServer } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Flags from shared/TOOLING.md: no network side traffic, WebGPU on (SwiftShader without a GPU). */
const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--enable-unsafe-webgpu",
];

function findChromium(): string {
  const candidates = [
    process.env.SNN_CHROMIUM,
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
  ].filter((p): p is string => !!p);
  const found = candidates.find((path) => existsSync(path));
  if (!found) {
    throw new Error(
      `No chromium found (looked for ${candidates.join(", ")}). The docs' browser test needs Debian's chromium: run scripts/setup.sh ` +
        "(it installs it with apt-get), or `apt-get install -y chromium`, or set SNN_CHROMIUM to a Chromium binary.",
    );
  }
  return found;
}

let server: PreviewServer | undefined;
let context: BrowserContext | undefined;
let profile: string | undefined;
let baseUrl = "";
const problems: string[] = [];

async function openPage(path: string): Promise<Page> {
  if (!context) throw new Error("the browser did not start");
  const page = await context!.newPage();
  page.on("pageerror", (error) => problems.push(`${path}: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error")
      problems.push(`${path}: console: ${message.text()} (${message.location().url})`);
  });
  await page.goto(`${baseUrl}${path}`);
  return page;
}

/**
 * Marks an @snn/plot SVG in `selector` shows: the points of its lines plus the spikes of its
 * raster panels (a spike is one `M x yh…v…z` rectangle).
 */
function plotMarks(page: Page, selector: string): Promise<number> {
  return page.$eval(selector, (host) => {
    let marks = 0;
    for (const path of host.querySelectorAll("svg .series path")) {
      const d = path.getAttribute("d") ?? "";
      marks +=
        (d.match(/h/g) ?? []).length > 0
          ? (d.match(/M/g) ?? []).length
          : (d.match(/[ML]/g) ?? []).length;
    }
    return marks;
  });
}

/** Texts of the page's SVG plots that the browser draws outside their picture (cut off). */
function clippedPlotTexts(page: Page): Promise<string[]> {
  return page.$$eval(".plot svg", (svgs) =>
    svgs.flatMap((svg) => {
      const frame = svg.getBoundingClientRect();
      return Array.from(svg.querySelectorAll("text"))
        .map((text) => ({ text: text.textContent ?? "", box: text.getBoundingClientRect() }))
        .filter(
          ({ box }) =>
            box.left < frame.left - 0.5 ||
            box.right > frame.right + 0.5 ||
            box.top < frame.top - 0.5 ||
            box.bottom > frame.bottom + 0.5,
        )
        .map(
          ({ text, box }) =>
            `${svg.parentElement?.id}: '${text}' at ${Math.round(box.left - frame.left)}..${Math.round(box.right - frame.left)} of ${Math.round(frame.width)}`,
        );
    }),
  );
}

/**
 * Serves the built site as a plain static host would: without the cross-origin isolation
 * headers of vite's preview (so no SharedArrayBuffer in the page).
 */
async function plainServer(directory: string): Promise<{ server: Server; url: string }> {
  const types: Record<string, string> = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".wasm": "application/wasm",
    ".svg": "image/svg+xml",
  };
  const server = createServer((request, response) => {
    const path = normalize(
      decodeURIComponent(new URL(request.url ?? "/", "http://127.0.0.1").pathname),
    ).replace(/^([/\\])+/, "");
    readFile(join(directory, path === "" ? "index.html" : path)).then(
      (body) => {
        response.writeHead(200, {
          "content-type": types[extname(path)] ?? "application/octet-stream",
        });
        response.end(body);
      },
      () => {
        response.writeHead(404);
        response.end();
      },
    );
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  if (address === null || typeof address === "string")
    throw new Error("the plain server has no port");
  return { server, url: `http://127.0.0.1:${address.port}` };
}

describe("the docs site in chromium", () => {
  // A setup failure (no chromium, no build) fails every test with its message, so that the
  // run counts failed tests rather than skipped ones.
  let setupError: unknown = null;
  beforeAll(async () => {
    try {
      await setUp();
    } catch (error) {
      setupError = error;
    }
  }, 60_000);
  function ready(): void {
    if (setupError) throw setupError;
  }

  async function setUp(): Promise<void> {
    const executablePath = findChromium();
    // turbo builds the site before its tests; a direct `vitest run` builds it when it is missing.
    if (!existsSync(join(root, "dist", "index.html"))) await build({ root, logLevel: "warn" });
    server = await preview({
      root,
      logLevel: "warn",
      preview: { host: "127.0.0.1", port: 0, strictPort: false, open: false },
    });
    const url = server.resolvedUrls?.local[0];
    if (!url) throw new Error("vite preview did not report its address");
    baseUrl = url.replace(/\/$/, "");
    if (new URL(baseUrl).hostname !== "127.0.0.1")
      throw new Error(
        `vite preview serves ${baseUrl}, not 127.0.0.1 (WebGPU needs a secure context)`,
      );
    profile = await mkdtemp(join(tmpdir(), "snn-docs-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: CHROMIUM_FLAGS,
      timeout: 30_000,
    });
  }

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it("(a) runs the LIF/ALIF example on WebGPU and draws its spikes; (c) shows a typo's line and column", async () => {
    ready();
    const page = await openPage("/index.html");
    await page.waitForSelector("body[data-webgpu]", { timeout: 20_000 });
    expect(
      await page.getAttribute("body", "data-webgpu"),
      "the browser should offer a WebGPU adapter (SwiftShader)",
    ).toBe("true");
    // The page shows the example's source: the file that runs.
    expect(await page.textContent("#lif-source")).toContain(
      "export async function runLifPopulation(",
    );

    await page.selectOption("#lif-backend", "webgpu");
    await page.click("#lif-run");
    await page.waitForSelector("#lif-status:is([data-state=done], [data-state=error])", {
      timeout: 40_000,
    });
    const status = (await page.textContent("#lif-status"))!;
    expect(status).toMatch(/^Ran on WebGPU/);
    expect(await page.getAttribute("#lif-status", "data-backend")).toBe("webgpu");
    const spikes = Number(await page.getAttribute("#lif-summary", "data-spikes"));
    expect(spikes).toBeGreaterThan(500); // 200 neurons for 0.5 s at 5-100 Hz: 500-10000 spikes
    expect(spikes).toBeLessThan(10_000);
    expect(Number(await page.getAttribute("#lif-raster", "data-dots"))).toBe(spikes);
    expect(await plotMarks(page, "#lif-raster")).toBe(spikes);
    console.log(`(a) ${status} ${await page.textContent("#lif-summary")}`);
    // The input rate is a dynamic param changed while WebGPU runs: silent, then driven.
    await page.fill("#lif-rate", "0, 60");
    await page.click("#lif-run");
    // this run's summary has two parts (the first run's had three)
    await page.waitForFunction(
      () =>
        (
          JSON.parse(
            document.querySelector<HTMLElement>("#lif-summary")?.dataset.parts ?? "[]",
          ) as unknown[]
        ).length === 2,
      undefined,
      { timeout: 40_000 },
    );
    expect(await page.textContent("#lif-status")).toMatch(/^Ran on WebGPU/);
    const parts = JSON.parse((await page.getAttribute("#lif-summary", "data-parts"))!) as number[];
    expect(parts[0], "no input, no spikes").toBe(0);
    expect(parts[1], "spikes once the rate is 60 Hz").toBeGreaterThan(100);

    // (c) runs on its own when the page opens: the voltage trace with a line per spike
    await page.waitForSelector("#neuron-status:is([data-state=done], [data-state=error])", {
      timeout: 40_000,
    });
    const neuronSpikes = Number(await page.getAttribute("#neuron-chart", "data-spikes"));
    expect(neuronSpikes).toBeGreaterThan(0);
    expect(await page.$eval("#neuron-chart .events", (g) => g.getAttribute("data-count"))).toBe(
      String(neuronSpikes),
    );
    expect(await plotMarks(page, "#neuron-rates")).toBe(20);
    expect(await clippedPlotTexts(page)).toEqual([]);

    await page.click("#neuron-typo");
    await page.waitForSelector("#neuron-error:not([hidden])");
    expect(await page.getAttribute("#neuron-error", "data-line")).toBe("3");
    expect(await page.getAttribute("#neuron-error", "data-column")).toBe("19");
    const shown = (await page.textContent("#neuron-error"))!;
    expect(shown).toContain(
      "Izhikevich.sim, line 3, column 19: unknown name 'Uu' (did you mean 'U'?)",
    );
    expect(shown).toContain("    |                   ^");
    expect(await page.isDisabled("#neuron-run")).toBe(true);
    await page.click("#neuron-restore");
    expect(await page.isHidden("#neuron-error")).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it("(d) STDP on WebGPU and on the CPU: the correlated inputs win on both", async () => {
    ready();
    const page = await openPage("/index.html");
    await page.waitForSelector("body[data-webgpu]", { timeout: 20_000 });
    expect(await page.textContent("#stdp-source")).toContain(
      "export async function runStdp(backend: Backend",
    );
    const means: Record<string, [number, number]> = {};
    for (const backend of ["webgpu", "cpu"] as const) {
      await page.selectOption("#stdp-backend", backend);
      await page.evaluate(() =>
        document.querySelector<HTMLElement>("#stdp-status")!.removeAttribute("data-state"),
      );
      await page.click("#stdp-run");
      await page.waitForSelector("#stdp-status:is([data-state=done], [data-state=error])", {
        timeout: 50_000,
      });
      const status = (await page.textContent("#stdp-status"))!;
      expect(status).toMatch(backend === "webgpu" ? /^Ran on WebGPU/ : /^Ran on CPU/);
      expect(await page.getAttribute("#stdp-status", "data-backend")).toBe(backend);
      const correlated = Number(await page.getAttribute("#stdp-summary", "data-correlated"));
      const independent = Number(await page.getAttribute("#stdp-summary", "data-independent"));
      expect(correlated, "correlated inputs potentiated to the top (Wmax 0.2)").toBeGreaterThan(
        0.18,
      );
      expect(independent, "independent inputs depressed").toBeLessThan(0.05);
      expect(await plotMarks(page, "#stdp-means")).toBeGreaterThan(10);
      expect(await plotMarks(page, "#stdp-weights")).toBe(100);
      expect(await clippedPlotTexts(page)).toEqual([]);
      means[backend] = [correlated, independent];
      console.log(`(d) ${status} ${await page.textContent("#stdp-summary")}`);
    }
    // float rounding may differ between the GPU's and the CPU's arithmetic, so spike times may too
    expect(Math.abs(means["webgpu"]![0] - means["cpu"]![0])).toBeLessThan(0.01);
    expect(Math.abs(means["webgpu"]![1] - means["cpu"]![1])).toBeLessThan(0.02);
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  /** Trains one epoch (4 batches) of example (b) on the page and returns the loss of each batch. */
  async function trainOneEpoch(
    page: Page,
    backend: "cpu" | "webgpu",
    expectedStatus: RegExp,
    expectedTraces: string,
  ): Promise<number[]> {
    await page.selectOption("#train-backend", backend);
    await page.fill("#train-epochs", "1");
    await page.click("#train-run");
    await page.waitForSelector("#train-status:is([data-state=done], [data-state=error])", {
      timeout: 40_000,
    });
    const status = (await page.textContent("#train-status"))!;
    expect(status).toMatch(expectedStatus);
    expect(await page.getAttribute("#train-summary", "data-batches")).toBe("4");
    const summary = (await page.textContent("#train-summary"))!;
    expect(summary).toMatch(/Batch 4 of 4 \(epoch 1\): loss \d+\.\d{3}/);
    expect(summary).toMatch(/Test accuracy on 64 new examples: \d+\.\d %/);
    expect(await page.getAttribute("#train-summary", "data-traces")).toBe(expectedTraces);
    expect(await plotMarks(page, "#train-chart")).toBe(8); // loss and accuracy of 4 batches
    // every label of the chart is drawn inside it (the right axis's "accuracy" was once cut off)
    expect(
      await page.$$eval("#train-chart .axis-label", (labels) => labels.map((l) => l.textContent)),
    ).toEqual(["batch", "loss", "accuracy"]);
    expect(await clippedPlotTexts(page)).toEqual([]);
    console.log(`(b) ${status} ${summary}`);
    const losses = JSON.parse(
      (await page.getAttribute("#train-chart", "data-losses"))!,
    ) as number[];
    expect(losses).toHaveLength(4);
    for (const loss of losses) {
      expect(loss).toBeGreaterThan(0);
      expect(loss).toBeLessThan(100);
    }
    return losses;
  }

  it("(b) trains the LSNN in a worker, on the CPU and on WebGPU, with the same loss per batch", async () => {
    ready();
    const page = await openPage("/index.html");
    // The site is served cross-origin isolated: on the CPU the traces run in a second worker.
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const cpu = await trainOneEpoch(
      page,
      "cpu",
      /^Trained on CPU/,
      "on the CPU, in a second worker beside the forward pass",
    );
    const webgpu = await trainOneEpoch(page, "webgpu", /^Trained on WebGPU/, "on the GPU");
    // Same network, same data: the backends agree up to float32 rounding.
    for (let i = 0; i < 4; i++) expect(Math.abs(webgpu[i]! - cpu[i]!)).toBeLessThan(1e-3 * cpu[i]!);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it("(b) on a host without cross-origin isolation trains the same, with the traces inline in the training worker", async () => {
    ready();
    const plain = await plainServer(join(root, "dist"));
    try {
      const page = await context!.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      await page.goto(`${plain.url}/index.html`);
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
      const losses = await trainOneEpoch(
        page,
        "cpu",
        /^Trained on CPU/,
        "on the CPU, in this worker after each chunk",
      );
      const isolated = await openPage("/index.html");
      const reference = await trainOneEpoch(
        isolated,
        "cpu",
        /^Trained on CPU/,
        "on the CPU, in a second worker beside the forward pass",
      );
      // inline or in a thread, the same calls in the same order: the same losses to the bit
      expect(losses).toEqual(reference);
      expect(errors).toEqual([]);
      await page.close();
      await isolated.close();
    } finally {
      await new Promise((done) => plain.server.close(done));
    }
  }, 60_000);

  // The stroke is a "1", and the shipped model (83 % on the MNIST test set) reads it as 1 with
  // about 99 % of the softmax on both backends; a "0" (an ellipse) follows on the CPU.
  it("(e) classifies a digit drawn with the mouse, on WebGPU and on the CPU", async () => {
    ready();
    const page = await openPage("/index.html");
    await page.waitForSelector("body[data-webgpu]", { timeout: 20_000 });
    expect(await page.textContent("#digit-source")).toContain("export function mnistImageFromInk(");
    await page.click("#digit-classify");
    expect(await page.textContent("#digit-status")).toBe("Draw a digit first.");
    for (const backend of ["webgpu", "cpu"] as const) {
      await page.selectOption("#digit-backend", backend);
      await page.click("#digit-clear");
      expect(await page.getAttribute("#digit-status", "data-state")).toBe("idle");
      // One stroke from top to bottom, slightly slanted, as a "1" is written.
      const box = (await page.locator("#digit-canvas").boundingBox())!;
      const at = (fx: number, fy: number) =>
        [box.x + box.width * fx, box.y + box.height * fy] as const;
      await page.mouse.move(...at(0.54, 0.15));
      await page.mouse.down();
      for (let i = 1; i <= 24; i++)
        await page.mouse.move(...at(0.54 - (0.05 * i) / 24, 0.15 + (0.7 * i) / 24));
      await page.mouse.up();
      // Letting go classifies the drawing.
      await page.waitForSelector("#digit-status:is([data-state=done], [data-state=error])", {
        timeout: 60_000,
      });
      const status = (await page.textContent("#digit-status"))!;
      expect(status).toMatch(backend === "webgpu" ? /^Ran on WebGPU/ : /^Ran on CPU/);
      expect(await page.getAttribute("#digit-status", "data-backend")).toBe(backend);
      const predicted = await page.getAttribute("#digit-prediction", "data-predicted");
      expect(predicted).toMatch(/^[0-9]$/);
      expect(await page.textContent("#digit-prediction")).toBe(predicted);
      // The 28x28 image the network read, the input and hidden spikes, the readout over time.
      const grey = await page.$eval("#digit-input", (canvas) => {
        const c = canvas as HTMLCanvasElement;
        const data = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
        let lit = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i]! > 0) lit++;
        return lit / (data.length / 4);
      });
      expect(grey).toBeGreaterThan(0.02);
      expect(grey).toBeLessThan(0.3);
      const inputSpikes = Number(await page.getAttribute("#digit-raster", "data-input-spikes"));
      const hiddenSpikes = Number(await page.getAttribute("#digit-raster", "data-hidden-spikes"));
      expect(inputSpikes).toBeGreaterThan(50);
      expect(hiddenSpikes).toBeGreaterThan(100);
      expect(Number(await page.getAttribute("#digit-raster", "data-dots"))).toBe(
        inputSpikes + hiddenSpikes,
      );
      expect(await plotMarks(page, "#digit-raster")).toBe(inputSpikes + hiddenSpikes);
      const steps = Number(await page.getAttribute("#digit-readout", "data-steps"));
      expect(steps).toBeGreaterThan(100);
      expect(await plotMarks(page, "#digit-readout")).toBe(10 * steps); // the softmax of 10 classes at every step
      expect(await clippedPlotTexts(page)).toEqual([]);
      console.log(
        `(e) a drawn "1": ${status} ${await page.textContent("#digit-scores")}; ${await page.textContent("#digit-summary")}`,
      );
      expect(predicted).toBe("1");
    }
    // A "0": a round upright oval, drawn in one stroke; the CPU backend is still selected. (A
    // narrower ellipse, 0.44 x 0.7 of the canvas, was read as an 8 by an earlier model of 89.66 %.)
    await page.click("#digit-clear");
    const box = (await page.locator("#digit-canvas").boundingBox())!;
    const at = (fx: number, fy: number) =>
      [box.x + box.width * fx, box.y + box.height * fy] as const;
    await page.mouse.move(...at(0.5, 0.15));
    await page.mouse.down();
    for (let i = 1; i <= 48; i++) {
      const angle = (2 * Math.PI * i) / 48;
      await page.mouse.move(...at(0.5 + 0.3 * Math.sin(angle), 0.5 - 0.33 * Math.cos(angle)));
    }
    await page.mouse.up();
    await page.waitForSelector("#digit-status:is([data-state=done], [data-state=error])", {
      timeout: 60_000,
    });
    console.log(`(e) a drawn "0": ${await page.textContent("#digit-scores")}`);
    expect(await page.getAttribute("#digit-prediction", "data-predicted")).toBe("0");
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  it("the package pages render every README with working anchors", async () => {
    ready();
    const page = await openPage("/packages.html#eprop");
    await page.waitForSelector("#eprop h1");
    for (const id of [
      "core",
      "backend-cpu",
      "backend-wgsl",
      "eprop",
      "datasets",
      "pretrained",
      "bench",
      "sweep",
      "cli",
    ]) {
      expect(await page.isVisible(`section#${id} h1`), id).toBe(true);
    }
    expect(await page.textContent("#core h1")).toBe("@snn/core");
    // A document a README names by its repository path (there is no public repository to link
    // to) links to its page here.
    expect(
      await page.getAttribute(
        "#cli a:has(> code:text-is('docs/decisions/0008-publishing-esm-require-and-optional-parts.md'))",
        "href",
      ),
    ).toBe("./doc.html?path=docs%2Fdecisions%2F0008-publishing-esm-require-and-optional-parts.md");
    expect(problems).toEqual([]);
    await page.close();
  }, 30_000);

  it("keeps a heading clear of the sticky navigation after an anchor jump", async () => {
    ready();
    const page = await openPage("/packages.html#bench-the-accuracy-suite-e-prop-vs-bptt");
    await page.waitForSelector("#bench-the-accuracy-suite-e-prop-vs-bptt");
    await page.waitForFunction(() => window.scrollY > 0);
    const { navBottom, headingTop } = await page.evaluate(() => ({
      navBottom: document.querySelector("nav")!.getBoundingClientRect().bottom,
      headingTop: document
        .getElementById("bench-the-accuracy-suite-e-prop-vs-bptt")!
        .getBoundingClientRect().top,
    }));
    expect(headingTop).toBeGreaterThanOrEqual(navBottom);
    expect(headingTop).toBeLessThan(navBottom + 40);
    expect(problems).toEqual([]);
    await page.close();
  }, 30_000);

  it("shows the equations, the chunked e-prop derivation and the getting-started code as pages", async () => {
    ready();
    const packages = await openPage("/packages.html");
    await packages.waitForSelector("#eprop h1");
    const equations = await packages.getAttribute(
      "#eprop a:text-is('docs/equations.md'), #eprop a[href*='equations.md']",
      "href",
    );
    expect(equations).toBe("./doc.html?path=packages%2Feprop%2Fdocs%2Fequations.md");
    expect(await packages.getAttribute("#eprop .api-link a", "href")).toBe(
      "./api/modules/_snn_eprop.html",
    );
    await packages.close();
    const page = await openPage("/doc.html?path=packages%2Feprop%2Fdocs%2Fequations.md");
    expect(await page.textContent("#document h1")).toBe(
      "The e-prop equations this package implements",
    );
    expect(await page.isVisible("#document table")).toBe(true);
    const chunked = await openPage("/doc.html?path=packages%2Feprop%2Fdocs%2Fchunked-eprop.md");
    expect((await chunked.textContent("#document h1"))!.length).toBeGreaterThan(5);
    const guide = await openPage("/getting-started.html");
    expect(await guide.textContent("#first-network-source")).toContain(
      "export async function firstNetwork(backend: Backend)",
    );
    expect(await guide.textContent("#first-training-source")).toContain("new Trainer(");
    expect(problems).toEqual([]);
    for (const p of [page, chunked, guide]) await p.close();
  }, 30_000);

  // Served as a plain static host serves it (a missing file is a 404, not the index page).
  it("every internal link of the built site resolves, to a page and to its anchor", async () => {
    ready();
    const plain = await plainServer(join(root, "dist"));
    try {
      const page = await context!.newPage();
      const found = new Map<string, boolean>(); // file URL -> served
      const idsOf = new Map<string, Set<string>>(); // page URL -> ids of its elements once its scripts ran
      const anchors: { page: string; fragment: string; where: string }[] = [];
      const broken: string[] = [];
      const served = async (url: string): Promise<boolean> => {
        if (!found.has(url)) found.set(url, (await context!.request.get(url)).ok());
        return found.get(url)!;
      };
      const queue = ["/index.html", "/getting-started.html", "/packages.html", "/doc.html"].map(
        (p) => `${plain.url}${p}`,
      );
      while (queue.length > 0) {
        const url = queue.shift()!;
        if (idsOf.has(url)) continue;
        await page.goto(url, { waitUntil: "load" });
        idsOf.set(url, new Set(await page.$$eval("[id]", (elements) => elements.map((e) => e.id))));
        const missing = await page.getAttribute("body", "data-missing");
        if (missing !== null) broken.push(`${url.slice(plain.url.length)}: no document ${missing}`);
        const links = await page.$$eval("a[href]", (list) =>
          list.map((a) => ({ href: (a as HTMLAnchorElement).href, raw: a.getAttribute("href")! })),
        );
        for (const { href, raw } of links) {
          const target = new URL(href);
          if (target.origin !== plain.url) continue;
          const fragment = decodeURIComponent(target.hash.slice(1));
          target.hash = "";
          const where = `${url.slice(plain.url.length)} -> ${raw}`;
          if (!(await served(target.href))) {
            broken.push(`${where}: no such file`);
            continue;
          }
          if (fragment !== "") anchors.push({ page: target.href, fragment, where });
          // the site's own pages are crawled; the API reference's thousands are checked by their anchors
          if (target.pathname.endsWith(".html") && !target.pathname.includes("/api/"))
            queue.push(target.href);
        }
      }
      for (const { page: target, fragment, where } of anchors) {
        if (!idsOf.has(target)) {
          const html = await (await context!.request.get(target)).text();
          idsOf.set(target, new Set([...html.matchAll(/\sid="([^"]*)"/g)].map((m) => m[1]!)));
        }
        if (!idsOf.get(target)!.has(fragment)) broken.push(`${where}: no element #${fragment}`);
      }
      const visited = [...idsOf.keys()];
      expect(broken).toEqual([]);
      // the crawl reached the package pages, the documents and the API reference
      const pages = visited.map((u) => u.slice(plain.url.length));
      expect(pages).toEqual(
        expect.arrayContaining([
          "/doc.html?path=packages%2Feprop%2Fdocs%2Fequations.md",
          "/doc.html?path=packages%2Feprop%2Fdocs%2Fchunked-eprop.md",
        ]),
      );
      expect(
        [...found.keys()].filter((u) => u.includes("/api/modules/")).length,
      ).toBeGreaterThanOrEqual(9);
      await page.close();
    } finally {
      await new Promise((done) => plain.server.close(done));
    }
  }, 120_000);
});
