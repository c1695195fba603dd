"""Plots of per-predicate results: recall bars and confusion matrices.

Figures are drawn on matplotlib's Agg canvas (no display needed) and saved
in the format of the file extension (``.png``, ``.svg``, ``.pdf``).
"""
from typing import Dict, Optional, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from mmsgg_rde.evaluation.functional import GROUP_NAMES

__all__ = ['plot_predicate_recalls', 'plot_confusion_matrix']

#: Shading of the head, body and tail regions.
_GROUP_SHADES = ('#f2f2f2', '#ffffff', '#f2f2f2')


def _save(figure: Figure, out_file: str) -> None:
    """Render on the Agg canvas and write ``out_file``."""
    FigureCanvasAgg(figure)
    figure.savefig(out_file, dpi=100, bbox_inches='tight')


def _mark_groups(ax, groups: np.ndarray, top: Optional[float]) -> None:
    """Shade the head/body/tail spans of predicates sorted by frequency,
    and name them at height ``top`` (not when None)."""
    start = 0
    for g, name in enumerate(GROUP_NAMES):
        size = int((groups == g).sum())
        if size == 0:
            continue
        ax.axvspan(
            start - 0.5, start + size - 0.5, color=_GROUP_SHADES[g], zorder=0)
        if top is not None:
            ax.text(
                start + size / 2 - 0.5,
                top,
                name,
                ha='center',
                va='bottom',
                fontsize=9,
                fontweight='bold')
        start += size


def plot_predicate_recalls(names: Sequence[str],
                           recalls: Dict[str, np.ndarray],
                           counts: np.ndarray,
                           groups: np.ndarray,
                           out_file: str,
                           k: int = 50) -> np.ndarray:
    """Per-predicate R@K bars, predicates sorted by training frequency.

    One series draws one bar per predicate; two series draw them side by
    side, with a second panel of their difference (second minus first).
    The head, body and tail groups are shaded and named; the legend gives
    each series' mR@K (the mean of its bars).

    Args:
        names: (C,) predicate names.
        recalls: Series label -> (C,) recalls in [0, 1] (at most two).
        counts: (C,) training frequencies, the sort order.
        groups: (C,) head (0) / body (1) / tail (2) of each predicate.
        out_file: Image file to write.
        k: The K of R@K, for the labels.

    Returns:
        np.ndarray: (C,) predicate order used (indices, most frequent
        first).
    """
    if not 1 <= len(recalls) <= 2:
        raise ValueError('plot_predicate_recalls draws one or two series, '
                         f'got {len(recalls)}.')
    order = np.lexsort((np.arange(len(counts)), -np.asarray(counts)))
    groups = np.asarray(groups)[order]
    # Keep the groups contiguous in the sorted order.
    order = order[np.argsort(groups, kind='stable')]
    groups = np.sort(groups, kind='stable')
    labels = list(recalls)
    x = np.arange(len(order))
    two = len(labels) == 2
    figure = Figure(figsize=(max(8., 0.28 * len(order)), 7 if two else 4.5))
    axes = figure.subplots(
        2 if two else 1,
        1,
        sharex=True,
        squeeze=False,
        gridspec_kw=dict(height_ratios=[2, 1]) if two else None)[:, 0]
    width = 0.8 / len(labels)
    for i, label in enumerate(labels):
        values = 100 * np.asarray(recalls[label])[order]
        axes[0].bar(
            x + (i - (len(labels) - 1) / 2) * width,
            values,
            width,
            label=f'{label} (mR@{k} {100 * np.mean(recalls[label]):.2f})',
            zorder=2)
    axes[0].set_ylabel(f'R@{k} (%)')
    axes[0].set_ylim(0, 110)
    axes[0].legend(
        loc='lower left', bbox_to_anchor=(0, 1.01), ncol=2, fontsize=8)
    _mark_groups(axes[0], groups, 101)
    if two:
        diff = 100 * (np.asarray(recalls[labels[1]]) -
                      np.asarray(recalls[labels[0]]))[order]
        axes[1].bar(
            x,
            diff,
            0.8,
            color=np.where(diff >= 0, '#2ca02c', '#d62728'),
            zorder=2)
        axes[1].axhline(0, color='black', linewidth=0.8)
        axes[1].set_ylabel(f'{labels[1]} - {labels[0]}\n(R@{k} points)')
        _mark_groups(axes[1], groups, None)
    axes[-1].set_xticks(x)
    axes[-1].set_xticklabels([names[i] for i in order],
                             rotation=90,
                             fontsize=8)
    axes[-1].set_xlim(-0.5, len(order) - 0.5)
    axes[-1].set_xlabel('predicate (by training frequency, most frequent '
                        'first)')
    _save(figure, out_file)
    return order


def plot_confusion_matrix(matrix: np.ndarray,
                          names: Sequence[str],
                          out_file: str,
                          order: Optional[np.ndarray] = None,
                          normalize: bool = True) -> None:
    """Predicate confusion matrix: rows GT, columns predicted.

    Args:
        matrix: (C, C + 1) counts; column 0 is "no predicted pair".
        names: (C,) predicate names.
        out_file: Image file to write.
        order: Order of the predicates on both axes (e.g. by frequency);
            the "no pair" column stays last. Defaults to id order.
        normalize: Show each row as fractions of its GT relations.
    """
    num = len(names)
    if matrix.shape != (num, num + 1):
        raise ValueError(f'The confusion matrix must be ({num}, {num + 1}) '
                         f'for {num} predicates, got {matrix.shape}.')
    order = np.arange(num) if order is None else np.asarray(order)
    values = matrix[order][:, np.append(order + 1, 0)].astype(np.float64)
    if normalize:
        totals = values.sum(1, keepdims=True)
        values = np.divide(
            values, totals, out=np.zeros_like(values), where=totals > 0)
    size = max(6., 0.22 * num + 2)
    figure = Figure(figsize=(size + 1, size))
    ax = figure.subplots()
    image = ax.imshow(values, cmap='Blues', vmin=0, interpolation='nearest')
    figure.colorbar(
        image, ax=ax, fraction=0.04, pad=0.02).set_label(
            'fraction of the GT predicate' if normalize else 'GT relations')
    ax.set_xticks(np.arange(num + 1))
    ax.set_xticklabels(
        [names[i] for i in order] + ['(no pair)'], rotation=90, fontsize=7)
    ax.set_yticks(np.arange(num))
    ax.set_yticklabels([names[i] for i in order], fontsize=7)
    ax.set_xlabel('predicted predicate')
    ax.set_ylabel('ground-truth predicate')
    _save(figure, out_file)
