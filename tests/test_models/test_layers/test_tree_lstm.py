import numpy as np
import pytest
import torch

from mmsgg_rde.models.layers import (BiTreeLSTM, TreeLSTMDown,
                                     TreeLSTMLabelDecoder, TreeLSTMUp,
                                     binary_forest)


def hand_forest():
    """Image 0: root 2 with children 0 then 3, and 1 under 0.
    Image 1: root 1 with child 0."""
    trees = [(np.array([2, 0, 1, 3]), np.array([2, 0, -1, 2])),
             (np.array([1, 0]), np.array([1, -1]))]
    return binary_forest(trees, torch.device('cpu'))


def test_binary_forest_left_child_right_sibling():
    forest = hand_forest()
    none = forest.num_nodes
    assert forest.left.tolist() == [1, none, 0, none, none, 4]
    assert forest.right.tolist() == [3, none, none, none, none, none]
    assert forest.parent.tolist() == [2, 0, none, 0, 5, none]
    assert forest.image.tolist() == [0, 0, 0, 0, 1, 1]
    assert [lv.tolist() for lv in forest.up_levels] == [[1, 3, 4], [0, 5], [2]]
    assert [lv.tolist() for lv in forest.down_levels] == [[2, 5], [0, 4],
                                                          [1, 3]]


def recursive_up(cell: TreeLSTMUp, feats, forest, node):
    """The benchmark's recursion (leaves to root) for one node."""
    hidden = cell.hidden_channels
    zero = feats.new_zeros(1, hidden)
    states = []
    for child in (forest.left[node], forest.right[node]):
        if child == forest.num_nodes:
            states.append((zero, zero))
        else:
            states.append(recursive_up(cell, feats, forest, child))
    x = feats[node:node + 1]
    gates = cell.gates_input(x) + cell.gates_left(
        states[0][1]) + cell.gates_right(states[1][1])
    i, o, f_l, f_r, u, r = gates.chunk(6, 1)
    c = (
        i.sigmoid() * u.tanh() + f_l.sigmoid() * states[0][0] +
        f_r.sigmoid() * states[1][0])
    h = o.sigmoid() * c.tanh()
    h = r.sigmoid() * h + (1 - r.sigmoid()) * cell.input_proj(x)
    return c, h


def recursive_down(cell: TreeLSTMDown, feats, forest, node, parent_state):
    """The benchmark's recursion (root to leaves); fills ``out``."""
    x = feats[node:node + 1]
    gates = cell.gates_input(x) + cell.gates_parent(parent_state[1])
    i, o, f, u, r = gates.chunk(5, 1)
    c = i.sigmoid() * u.tanh() + f.sigmoid() * parent_state[0]
    h = o.sigmoid() * c.tanh()
    h = r.sigmoid() * h + (1 - r.sigmoid()) * cell.input_proj(x)
    out = {node: h}
    for child in (forest.left[node], forest.right[node]):
        if child != forest.num_nodes:
            out.update(recursive_down(cell, feats, forest, int(child), (c, h)))
    return out


def test_tree_lstms_match_the_recursion():
    torch.manual_seed(0)
    forest = hand_forest()
    feats = torch.randn(6, 5)
    up, down = TreeLSTMUp(5, 3), TreeLSTMDown(5, 3)
    up.init_weights()
    down.init_weights()
    up_out, down_out = up(feats, forest), down(feats, forest)
    zero = feats.new_zeros(1, 3)
    for root in (2, 5):
        assert torch.allclose(up_out[root],
                              recursive_up(up, feats, forest, root)[1][0])
        for node, h in recursive_down(down, feats, forest, root,
                                      (zero, zero)).items():
            assert torch.allclose(down_out[node], h[0], atol=1e-6)


def test_bitree_lstm_layers_and_dropout():
    torch.manual_seed(0)
    forest = hand_forest()
    feats = torch.randn(6, 5, requires_grad=True)
    lstm = BiTreeLSTM(5, 8, num_layers=2, dropout=0.5)
    lstm.eval()
    out = lstm(feats, forest)
    assert out.shape == (6, 8)
    layer = lstm.layers[0]
    first = torch.cat(
        [layer['up'](feats, forest), layer['down'](feats, forest)], 1)
    second = lstm.layers[1]
    expected = torch.cat(
        [second['up'](first, forest), second['down'](first, forest)], 1)
    assert torch.allclose(out, expected)
    lstm.train()
    dropped = lstm(feats, forest)
    assert not torch.allclose(dropped, out)
    dropped.sum().backward()
    assert feats.grad is not None
    with pytest.raises(ValueError, match='even'):
        BiTreeLSTM(5, 7)


def test_label_decoder_passes_parent_labels():
    torch.manual_seed(0)
    forest = hand_forest()
    decoder = TreeLSTMLabelDecoder(
        in_channels=5, hidden_channels=4, num_classes=3, embed_dim=2)
    decoder.eval()
    feats = torch.randn(6, 5)
    logits, labels = decoder(feats, forest)
    assert logits.shape == (6, 4)
    assert torch.equal(labels, logits[:, :3].argmax(1))
    # The roots see the 'start' token (last row), the others their parent's
    # label: changing 'start' changes every node's output.
    with torch.no_grad():
        decoder.label_embed.embedding.weight[-1] += 1.0
    new_logits, _ = decoder(feats, forest)
    assert not torch.allclose(new_logits[[2, 5]], logits[[2, 5]])
    # Training draws the passed labels but returns the greedy ones.
    decoder.train()
    logits, labels = decoder(feats, forest)
    assert torch.equal(labels, logits[:, :3].softmax(1).argmax(1))
