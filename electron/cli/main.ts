/**
 * `caption-studio` command line: the same core, contract and dispatch the desktop app and the
 * served mode use.
 */
import { defaultDataDir } from '../../db/open.ts';
import {
  DEFAULT_BATCH_SIZE,
  DTYPES,
  EXPORT_FORMATS,
  EXPORT_POLICIES,
  IMAGE_MODES,
  SPLITS,
} from '../core/api/contract.ts';
import { TASKS } from '../core/api/decoding.ts';
import { PROVIDERS } from '../core/inference/runtime/providers.ts';
import { UsageError } from './args.ts';
import { attentionCommand } from './attention.ts';
import { captionCommand, decodingUsage } from './caption.ts';
import {
  evalCommand,
  exportCommand,
  importRefsCommand,
  inviteCommand,
  metricsCommand,
  serveCommand,
  statusCommand,
} from './commands.ts';
import { editCommand } from './edit.ts';
import { modelsCommand } from './models.ts';
import { scoreCommand } from './score.ts';
import { searchCommand } from './search.ts';

const USAGE = `Usage: caption-studio <command> [options]

Commands:
  caption <folder>     scan the folder and caption every image in it (resumable)
  models list          the models you can caption with: the built-in one, the Hugging Face cache, added folders
  models pull ORG/NAME[@REV] [--dtype D]   download a captioner or a CLIP scorer from the Hugging Face Hub (resumable)
  models add <folder>, models remove <model>
  status               what the library holds: folders, images, captions, errors
  serve                the studio in a browser: prints a localhost URL with a fresh owner token
  invite --rater NAME [--session ID]...   a rater's own link: its sessions only (default: those giving it images)
  invite --list, invite --revoke ID       raters' links, and ending one
  import-refs <file>   reference captions: COCO captions JSON or image<TAB>caption lines
  eval                 per model/config: BLEU-4, CIDEr-D, ROUGE-L, mean rating (95% CI), win rate
  edit                 bulk caption edits: --find S --replace R [--regex], --prepend/--append/--strip T, --case C, --trim
  export               a dataset: --format ${EXPORT_FORMATS.join('|')} --out PATH [--policy ${EXPORT_POLICIES.join('|')}]
  score [folder] --scorer M   CLIPScore of every current caption (a CLIP model: ORG/NAME or a folder), stored; resumable
  search "QUERY" --scorer M   images ranked by meaning: the query's CLIP embedding vs the images scored with M
  metrics <file.json>  BLEU-1..4, CIDEr-D, ROUGE-L of {"items":[{"references":[...],"hypothesis":"..."}]}
  attention <image> --model M --out DIR   per-word cross-attention: DIR/attention.json and a heat-map PNG per word

models options: --dtype D (pull), --json (list). The Hub: $HF_ENDPOINT, $HF_TOKEN (gated repositories),
  $HF_HUB_OFFLINE=1; the cache: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub

Common options:
  --data-dir DIR       where the database lives (default: $CAPTION_STUDIO_DATA_DIR or ${defaultDataDir()})

caption options:
  --model M            a model folder (Hugging Face ONNX layout) or ORG/NAME[@REV] pulled into the
                       Hugging Face cache (default: the built-in model, which only knows synthetic scenes)
  --dtype D            export variant: ${DTYPES.join('|')} (default: fp32 where present, else the smallest)
${decodingUsage()}
                       (unset decoding options: the model's generation_config.json)
  --task T             ${TASKS.join(' | ')}, for models that take a task prompt (Florence-2; default: caption)
  --overwrite          caption again images that already have captions for this model and config
  --skip-existing      (default) leave those alone
  --batch-size N       images per inference batch (default ${DEFAULT_BATCH_SIZE}; a resumed job keeps its own)
  --threads N          ONNX Runtime intra-op threads (default: all cores)
  --provider P         ${PROVIDERS.join(' | ')} (default: the best available)
  --quiet              no progress bar

serve options:
  --host H             interface to listen on (default 127.0.0.1; anything else exposes the studio)
  --port N             port (default: a free one)
  --model M            what the UI captions with unless it picks another model
  --exports-dir DIR    exports from the browser only into DIR (default: anywhere on localhost; with
                       another --host, DATA_DIR/exports)

edit options:
  --find S --replace R find and replace (plain text; --regex: a regular expression, $1 in R names a group;
                       --ignore-case); --prepend T / --append T (a trigger word; --separator, default ', ');
                       --strip T (a word, phrase or tag, wherever it stands whole); --case lower|upper|sentence|title;
                       --trim (trim and collapse white space). One step, stored as human edits of each image's caption
  --folder F, --search S   only the captions of this library folder / that contain S (default: the whole library)
  --dry-run            how many captions would change, and the first of them, changing nothing
  --undo, --redo, --history   the edit history (shared with the studio's)

export options:
  --policy P           which captions: best (default; each image's highest-rated, else its human edit,
                       else the top beam of its latest run), latest, human (edits), rated, all
  --min-rating X, --raters a,b, --sessions 1,2, --split ${SPLITS.join('|')} (stable split by image hash),
  --overwrite, --images ${IMAGE_MODES.join('|')} (imagefolder, sidecars, preferences: the photos in the folder)
  --out PATH           a file (coco, coco-results, csv) or a folder (imagefolder, sidecars, preferences,
                       preferences-trl); names inside are the photos' paths in their library folder
  --beside-images      sidecars: write each .txt next to its photo instead of into --out
  --quiet              no progress bar (Ctrl-C cancels an export: nothing half-written is left)

score options:
  --scorer M           a CLIP scorer (models pull Xenova/clip-vit-base-patch32); --clip M is the same
  --dtype D            its export variant (default: fp32 where present, else the first)
  --refs               RefCLIPScore too, for images with reference captions (import-refs)

search options:
  --scorer M, --dtype D   the CLIP scorer the library was scored with (score); --clip M is the same
  --folder F           one library folder only (default: all)
  --limit N, --offset N   how many images (default 20), from which rank (default 0)

attention options:
  --model M, --dtype D, --task T, --beams N, --num-return N   as for caption
  --out DIR            where attention.json and the PNGs go (made if missing)
  --raw                each step also carries every layer's every head over every encoder position
  --layer L, --head H  which maps: last|mean|index (default last), mean|index (default mean)
  --opacity X          the heat-map's opacity over the photo, 0 to 1 (default 0.6)

metrics options:
  --df FILE            CIDEr-D document frequencies {"images": N, "df": {"ngram": count}} (default: the file's references)
  --per-image          also print each item's scores
`;

const COMMANDS: Record<
  string,
  (argv: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream) => Promise<number> | number
> = {
  caption: captionCommand,
  status: statusCommand,
  serve: serveCommand,
  invite: inviteCommand,
  'import-refs': importRefsCommand,
  eval: evalCommand,
  edit: editCommand,
  export: exportCommand,
  metrics: metricsCommand,
  models: modelsCommand,
  score: scoreCommand,
  search: searchCommand,
  attention: attentionCommand,
};

/** One command's part of USAGE: its lines under Commands, its options section, the common options. */
export function commandUsage(command: string): string {
  const sections = USAGE.split('\n\n');
  const commands = sections.find((s) => s.startsWith('Commands:'))!;
  const own = commands.split('\n').filter((l) => l.startsWith(`  ${command} `) || l === `  ${command}`);
  const options = sections.filter(
    (s) =>
      s.startsWith(`${command} options:`) || s.startsWith(`${command} `) || s.startsWith('Common options:'),
  );
  return (
    [`Usage: caption-studio ${command} [options]`, own.join('\n'), ...options].join('\n\n').trimEnd() + '\n'
  );
}

/**
 * `--flag -3`: a value that starts with a dash but is a number is the flag's value (parseArgs
 * would take it for an option and call the flag's argument missing).
 */
export function attachNegativeNumbers(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const next = args[i + 1];
    if (/^--[\w-]+$/.test(a) && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

export async function main(argv: string[], out = process.stdout, err = process.stderr): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || ['help', '--help', '-h'].includes(command)) {
      out.write(USAGE);
      return command ? 0 : 2;
    }
    const run = COMMANDS[command];
    if (!run) throw new UsageError(`unknown command '${command}'`);
    if (rest.includes('--help') || rest.includes('-h')) {
      out.write(commandUsage(command));
      return 0;
    }
    return await run(attachNegativeNumbers(rest), out, err);
  } catch (e) {
    if (e instanceof UsageError) {
      // one line naming the problem, and where the full usage is (not 60 lines of it)
      const help = COMMANDS[command] ? `caption-studio ${command} --help` : 'caption-studio --help';
      err.write(`caption-studio: ${e.message} (see ${help})\n`);
      return 2;
    }
    err.write(`caption-studio: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
