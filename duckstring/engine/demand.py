"""Demand and runs of a Pond (docs/concepts.md §3, §4, §6).

- P1 pull arrives (ignored while blocked): at rest (`start_f == end_f`) set `has_pull` on the
  Pond and every Ripple; with a run in flight set it on the leaf Ripples only.
  Marking every Ripple primes the Pond's internal pipeline: each Ripple, as it starts,
  re-arms its parents (R4), and a re-arm that reaches a root asks for another Pond Run. Such an
  internal refill is honoured only while the Pond's output is wanted — it holds a Wave, or a
  Sink holds pull it cannot yet serve and whoever asked that Sink waits too (`_starved`) — so
  a bottleneck Pond keeps its Ripples busy back to back while a Pond upstream of a slower
  consumer runs once per consumption, not once per Ripple level (invariant §12.4). Demand is binary: once a pull has reached the Pond through
  one leaf, the pulls other leaves hold are served by the same run.
- P2 `has_pull` becomes true: every Source with `start_f <= this.start_f` receives pull.
  A blocked Pond never re-arms its Sources.
- P3 target `T` arrives (ignored while blocked): ignored when `T <= end_f`, held, or covered by
  the run already in flight (`T <= start_f`); else held and sent to every *required* Source
  — or, when every Source is optional, to each of them (they alone make `source_f`, §2.1).
- P4 start: not killed, not failed (but see retry on change, §9), `source_f` known and not
  NEVER, and either targets with `source_f >= min(targets)` or pull (or a Wake) with
  `source_f > start_f`. (Only force's always-satisfiable target NEVER could otherwise start a
  run at NEVER — one with nothing to read, that no Ripple would ever run: a forced Pond whose
  Sources have no output, or are themselves being forced, waits for them.)
- P5 on start: re-arm the Sources (pulled, not an Inlet, not blocked, not a Wake's local pull);
  `start_f = source_f`; clear pull; drop targets `<= start_f`; inherit `d`; stamp every Ripple;
  decide execute or pass (§6) and emit *begin Pond Run*.
- §6 a run executes when the Pond is an Inlet, forced, has an `always_run` Ripple, runs new
  code, is not at rest (a run is still in flight or halted), or a Source changed after
  `prior_f` (an optional Source: after the `end_f` read from it at the previous start, see
  `sources`). Otherwise it is a pass: complete at once, `changed_f` held.
- P6 completion: `end_f` advances to the published run's `F`; every run with `F <= end_f` is
  complete; a Wave re-taps.
- Reopening (§9): a line that stops being blocked, or is redeployed, gets the demand held
  around it anew — its own, and its Sinks' — since nothing passed upstream while it was
  blocked and a failed Pond dropped what it held (`reopen`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from duckstring.engine import explain, faults, sources
from duckstring.engine.effects import BeginRun, RunCompleted
from duckstring.engine.freshness import NEVER
from duckstring.engine.pond import Pond, Run, WaveTrigger

if TYPE_CHECKING:
    from duckstring.engine.engine import Engine


# P1 and P2, iterative so a 1,000-deep chain does not recurse 1,000 frames.
def receive_pull(eng: Engine, line: str) -> None:
    queue = [line]
    while queue:
        p = eng.ponds.get(queue.pop())
        if p is None or p.is_blocked:
            if p is not None and eng.cause is not None:
                eng.note(explain.Note(p.line, "stopped", "blocked: takes no new demand", "§9"))
            continue
        if eng.cause is not None:
            _note_pull(eng, p)
        if p.at_rest:
            p.graph.pull_all()
            queue.extend(_set_pull(eng, p))
        else:
            reached = False
            for leaf in p.graph.leaves:
                reached |= p.graph.pull(leaf)
            if reached:
                p.graph.leaves_served()
                queue.extend(_set_pull(eng, p))
        eng.touch(p)


def _note_pull(eng: Engine, p: Pond) -> None:
    """Where a trigger's pull goes at `p` (P1, P2): it is taken, or `p` already had it; and
    which Sources it does not reach because they already run ahead of `p`."""
    if p.has_pull:
        eng.note(explain.Note(p.line, "stopped", "already pulled", "P1"))
        return
    eng.note(explain.Note(p.line, "reached", "pulled", "P1"))
    ahead = [s.line for s in p.sources
             if (src := eng.ponds.get(s.line)) is not None and src.start_f > p.start_f]
    for line in ahead:
        eng.note(explain.Note(line, "stopped", "already ahead of {0}: its newer run serves "
                              "the pull", "P2", (p.line,)))


def pull_pond(eng: Engine, p: Pond, primed: bool) -> None:
    """A Ripple's re-arm reached a root (R4 → R1): another Pond Run — for a pull that only
    primes the pipeline, if anyone wants it."""
    if primed and not wanted(eng, p):
        return
    p.graph.leaves_served()
    for line in _set_pull(eng, p):
        receive_pull(eng, line)
    eng.touch(p)


def wanted(eng: Engine, p: Pond) -> bool:
    """Whether more output of `p` would be taken now: it holds a Wave, or a Sink waits on it
    with pull (cleared when the Sink starts, so held pull means waiting) and either holds
    nothing `p` has begun (P2's rule) or sits idle and starved — `p` is the bottleneck, so
    `p` keeps its own pipeline full. A busy Sink whose next run the run `p` already began will serve does
    not also get a priming run: its own start re-arms `p` (P5), and answering both would
    over-produce once per cycle (§12.4)."""
    if isinstance(p.trigger, WaveTrigger) and not p.trigger.every:
        return True  # a paced Wave wants one run per tap, not a primed pipeline
    return any(
        (sink.has_pull or sink.wake) and not sink.is_killed
        and (p.start_f <= sink.start_f or (sink.idle and _starved(eng, sink)))
        for sink in eng.sinks_of(p.line)
    )


def _starved(eng: Engine, p: Pond) -> bool:
    """`p` sits idle holding pull, and whoever asked for it waits now. The pull is `p`'s own
    (a Tap or a Wave on `p`: no Sink holds pull or runs) or an idle Sink's that is starved in
    turn. A pull that a busy Sink's start left behind (P5) is not urgent: that Sink is the
    bottleneck and takes `p`'s next output when it finishes, so priming ahead of it would
    over-produce behind a fast middle Pond (§12.4).

    That is reachability: `p` is starved when, following idle Sinks holding pull, the walk
    reaches a Wave or a Pond no Sink claims. Under a Wave on a deep chain the walk is as long
    as the chain, and every primed refill asks again (O(n^2) over a wave), so each answer is
    kept in `eng.starved` until `forget_starved` drops it. An answer for a line depends only
    on the lines the walk reads from it downstream, so its memo entry is sound while none of
    them changed: a change passes through `eng.touch`, and before the next read the changed line
    and every remembered line upstream of it are forgotten (`forget_touched`)."""
    forget_touched(eng)
    memo = eng.starved
    known = memo.get(p.line)
    if known is not None:
        return known
    # Depth first, post-order: `path` is the walk from `p`, each entry a Sink of the one
    # before with the Sinks left to try. Reaching a starved line makes the whole path starved;
    # a line whose Sinks are all exhausted is not.
    path: list[tuple[str, list[Pond]]] = []
    node: Pond | None = p
    while True:
        if node is not None:
            nexts = _next_in_walk(eng, node)
            if nexts is None:
                memo[node.line] = True
                for line, _ in path:
                    memo[line] = True
                return True
            path.append((node.line, nexts))
        line, nexts = path[-1]
        node = None
        while nexts:
            sink = nexts.pop()
            known = memo.get(sink.line)
            if known is None:
                node = sink
                break
            if known:
                for at, _ in path:
                    memo[at] = True
                return True
        if node is None:
            memo[line] = False
            path.pop()
            if not path:
                return False


def _next_in_walk(eng: Engine, node: Pond) -> list[Pond] | None:
    """None when `node` ends the walk starved (a Wave, or no Sink claims it: none holds pull
    or runs); else the idle Sinks holding pull the walk goes on through."""
    if isinstance(node.trigger, WaveTrigger):
        return None
    claimants = [s for s in eng.sinks_of(node.line)
                 if (s.has_pull or s.busy) and not s.is_killed]
    if not claimants:
        return None
    return [s for s in claimants if s.has_pull and s.idle]


def forget_touched(eng: Engine) -> None:
    """Forget what the lines touched since the last `_starved` read may have falsified (every
    answer read after a change, so deferring the forgetting to the read changes no answer)."""
    if not eng.unforgotten:
        return
    for line in eng.unforgotten:
        p = eng.ponds.get(line)
        if p is None:
            eng.starved.pop(line, None)
        else:
            forget_starved(eng, p)
    eng.unforgotten.clear()


def forget_starved(eng: Engine, p: Pond) -> None:
    """`p` changed: drop the remembered `_starved` answers that may have read it — its own
    (its trigger) and, upwards, every remembered line whose walk could reach it (a Source
    reads its Sinks' pull and work). A line not remembered stops the climb: any remembered
    line upstream whose walk went through it would have remembered it too (post-order)."""
    memo = eng.starved
    if not memo:
        return
    memo.pop(p.line, None)
    stack = [p]
    while stack:
        for s in stack.pop().sources:
            if memo.pop(s.line, None) is not None:
                src = eng.ponds.get(s.line)
                if src is not None:
                    stack.append(src)


def _set_pull(eng: Engine, p: Pond) -> list[str]:
    """P2: set `has_pull`; return the Sources it pulls."""
    if p.has_pull:
        return []
    p.has_pull = True
    if p.is_blocked:
        return []
    return _pulled_sources(eng, p)


def reopen(eng: Engine, p: Pond) -> None:
    """`p` stopped being blocked (§9): while it was, it passed no demand upstream, and a
    failed Source dropped what it held. Send again what `p` holds, and what each Sink of `p`
    holds (an optional Sink was never blocked, a Sink with another blocked Source is not yet
    unblocked and stays quiet), as if it had just arrived (P2, P3)."""
    for node in (p, *eng.sinks_of(p.line)):
        if node.is_blocked:
            continue
        to: list[str] = []
        for t in node.targets:
            for line in _feeding(node):
                if receive_target(eng, line, t):
                    to.append(line)
        if node.has_pull:
            for line in _pulled_sources(eng, node):
                receive_pull(eng, line)
                to.append(line)
        if to and eng.notes is not None:
            lines = tuple(dict.fromkeys(to))
            names = ", ".join("{" + str(i) + "}" for i in range(len(lines)))
            eng.note(explain.Note(node.line, "resent", f"sends its held demand again to {names}",
                                  "§9", lines))


def _pulled_sources(eng: Engine, p: Pond) -> list[str]:
    """P2: the Sources a pull on `p` reaches: those not already running ahead of it."""
    return [
        s.line
        for s in p.sources
        if (src := eng.ponds.get(s.line)) is not None and src.start_f <= p.start_f
    ]


def _feeding(p: Pond) -> list[str]:
    """P3: the Sources a target of `p` travels to: the required ones, or when every Source is
    optional each of them (they alone make `source_f`, §2.1)."""
    return [s.line for s in p.sources if s.required] or [s.line for s in p.sources]


# P3
def receive_target(eng: Engine, line: str, t: int) -> bool:
    """P3; True when the first Pond took `t`."""
    queue = [line]
    taken = False
    while queue:
        at = queue.pop()
        p = eng.ponds.get(at)
        if p is None or p.is_blocked or t <= p.start_f or t <= p.end_f or t in p.targets:
            if eng.cause is not None and p is not None:
                eng.note(_stopped_target(eng, p, t))
            continue
        taken |= at == line
        p.targets.add(t)
        queue.extend(_feeding(p))
        if eng.cause is not None:
            eng.note(explain.Note(p.line, "reached", "holds the target", "P3"))
        eng.touch(p)
    return taken


def _stopped_target(eng: Engine, p: Pond, t: int) -> explain.Note:
    if p.is_blocked:
        return explain.Note(p.line, "stopped", "blocked: takes no new demand", "§9")
    if t <= p.end_f:
        return explain.Note(p.line, "stopped", "already as fresh as the target", "P3")
    if t <= p.start_f:
        return explain.Note(p.line, "stopped", "its run in flight covers the target", "P3")
    return explain.Note(p.line, "stopped", "already holds the target", "P3")


# P4
def start_freshness(eng: Engine, p: Pond) -> int | None:
    """The freshness `p` would start a run at now, or None."""
    if p.is_killed:
        return None
    sf = sources.source_f(eng, p)
    if sf is None or sf == NEVER:  # no Source output yet (force's target NEVER would hang)
        return None
    if p.is_failed:
        return sf if faults.retry_on_change(p, sf) else None
    if p.targets and sf >= p.targets.min():
        return sf
    if (p.has_pull or p.wake) and sf > p.start_f:
        return sf
    return None


# P5
def begin_run(eng: Engine, p: Pond, sf: int) -> None:
    prior_f = p.start_f
    idle = p.idle
    changed = sources.changed(eng, p, prior_f)
    reason = explain.execute_reason(p, changed, idle)
    if eng.notes is not None:
        eng.notes.append(explain.run_note(p, explain.demand_kind(p, sf), reason, changed))
    if p.has_pull and not p.is_inlet and not p.is_blocked:
        for s in p.sources:
            receive_pull(eng, s.line)
    p.start_f = sf
    p.has_pull = p.wake = False
    p.targets.drop_upto(sf)
    p.d = sources.source_d(eng, p, sf)
    sources.record_reads(eng, p)
    sources_changed = p.is_inlet or bool(changed)
    force = p.forcing
    execute = reason is not None
    p.forcing = p.code_changed = False
    p.runs_started += 1
    eng.emit(BeginRun(p.line, sf, execute, p.immediate_retries, force, sources_changed))
    if execute:
        p.runs[sf] = Run(sf, p.immediate_retries)
        p.graph.stamp(sf)
    else:
        p.graph.settle(sf)
        p.end_f = sf
        p.runs_completed += 1
        eng.emit(RunCompleted(p.line, sf, changed=False, passed=True))
        _completed(eng, p)
    eng.touch(p)


# P6
def finish_run(eng: Engine, p: Pond, f: int, changed: bool) -> None:
    """The Duck published run `f`: it and every older run in flight are complete."""
    if f not in p.runs:
        return  # stale or replayed report
    p.end_f = max(p.end_f, f)
    if changed:
        p.changed_f = max(p.changed_f, f)
    for done in sorted(run_f for run_f in p.runs if run_f <= f):
        del p.runs[done]
        p.runs_completed += 1
        eng.emit(RunCompleted(p.line, done, changed=changed))
    faults.recover(eng, p)
    _completed(eng, p)
    eng.touch(p)


def _completed(eng: Engine, p: Pond) -> None:
    for sink in eng.sinks_of(p.line):
        eng.touch(sink)
    if isinstance(p.trigger, WaveTrigger) and not p.trigger.every:
        receive_pull(eng, p.line)  # a paced Wave re-taps at rest, when due (`triggers`)


def try_start(eng: Engine, p: Pond) -> bool:
    sf = start_freshness(eng, p)
    if sf is None:
        return False
    begin_run(eng, p, sf)
    return True
