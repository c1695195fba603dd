import math

import pytest
import torch

from mmsgg_rde.models.rde import (FDVAE, BranchLinear, ChannelAttention,
                                  FDVAEEncoderBlock, ReferenceAttention,
                                  random_derangement)


def _unit_attention(complement, normalize=False):
    attn = ReferenceAttention(
        1, complement=complement, normalize_complement=normalize)
    with torch.no_grad():
        for proj in (attn.query_proj, attn.key_proj):
            proj.weight.fill_(1.0)
            proj.bias.zero_()
    return attn


def test_branch_linear_is_independent_linear_layers():
    torch.manual_seed(0)
    layer = BranchLinear(2, 3, 4)
    x = torch.randn(2, 5, 3)
    out = layer(x)
    for b in range(2):
        expected = x[b] @ layer.weight[b] + layer.bias[b]
        assert torch.allclose(out[b], expected, atol=1e-6)
    # A leading 1 is shared by the branches.
    shared = layer(x[:1])
    assert torch.allclose(
        shared[1], x[0] @ layer.weight[1] + layer.bias[1], atol=1e-6)
    assert layer(torch.randn(2, 0, 3)).shape == (2, 0, 4)


def test_reference_attention_hand_computed():
    # Scores q.k = [0, ln 3] -> softmax [1/4, 3/4]; values are the refs.
    query = torch.tensor([[[[1.0]]]])
    ref = torch.tensor([[[[0.0], [math.log(3.0)]]]])
    plain = _unit_attention(complement=False)
    assert plain.attention_map(query, ref).flatten().tolist() == \
        pytest.approx([0.25, 0.75])
    assert plain(query, ref).item() == pytest.approx(0.75 * math.log(3.0))
    negated = _unit_attention(complement=True)
    assert negated.attention_map(query, ref).flatten().tolist() == \
        pytest.approx([0.75, 0.25])
    assert negated(query, ref).item() == pytest.approx(0.25 * math.log(3.0))


def test_reference_attention_complement_is_one_minus_attn():
    torch.manual_seed(0)
    plain = ReferenceAttention(4, attn_channels=6, num_heads=2)
    negated = ReferenceAttention(
        4, attn_channels=6, num_heads=2, complement=True)
    negated.load_state_dict(plain.state_dict())
    query, ref = torch.randn(1, 3, 5, 4), torch.randn(1, 3, 7, 4)
    attn = plain.attention_map(query, ref)
    assert attn.shape == (1, 3, 2, 5, 7)
    assert torch.allclose(attn.sum(-1), torch.ones(1, 3, 2, 5))
    complement = negated.attention_map(query, ref)
    assert torch.allclose(complement, (1 - attn) / 6)
    values = ref.view(1, 3, 7, 2, 2).transpose(-3, -2)
    expected = (complement @ values).transpose(-3, -2).reshape(1, 3, 5, 4)
    assert torch.allclose(negated(query, ref), expected, atol=1e-6)


def test_channel_attention_gates_each_channel():
    torch.manual_seed(0)
    attn = ChannelAttention(4)
    negated = ChannelAttention(4, complement=True)
    negated.load_state_dict(attn.state_dict())
    query, ref = torch.randn(1, 3, 4), torch.randn(1, 3, 4)
    gate = torch.sigmoid(attn.query_proj(query) * attn.key_proj(ref))
    assert torch.allclose(attn(query, ref), gate * ref)
    assert torch.allclose(negated(query, ref), (1 - gate) * ref)


def _linear(layer, branch, x):
    """Branch ``branch`` of a BranchLinear applied to ``x``."""
    return x @ layer.weight[branch] + layer.bias[branch]


def test_encoder_block_residual_updates():
    torch.manual_seed(0)
    block = FDVAEEncoderBlock(8, num_tokens=2)
    mu = torch.randn(5, 8)
    sigma = torch.randn(2, 5, 8)
    prototypes = torch.randn(4, 8)
    new_mu, new_sigma = block(mu, sigma, prototypes)
    # Mean branch: X(l) - X(l-1) = g(Attn(X_mu, P) . P).
    attn = block.mu_attn.attention_map(mu[None, None],
                                       prototypes[None, None])[0, 0, 0]
    g = block.mu_update[0]
    assert torch.allclose(
        new_mu - mu, torch.relu(_linear(g, 0, attn @ prototypes)), atol=1e-5)
    # Variance branches (subject 0, object 1, own weights) attend to the
    # updated mu with (1 - Attn), per sample over its two tokens.
    attn_module, update = block.sigma_attn, block.sigma_update[0]
    for branch in (0, 1):
        query, keys = sigma[branch].view(5, 2, 4), new_mu.view(5, 2, 4)
        softmax = torch.softmax(
            _linear(attn_module.query_proj, branch, query) @ _linear(
                attn_module.key_proj, branch, keys).transpose(1, 2) / 2, -1)
        gathered = ((1 - softmax) @ keys).reshape(5, 8)
        assert torch.allclose(
            new_sigma[branch] - sigma[branch],
            torch.relu(_linear(update, branch, gathered)),
            atol=1e-5)


def test_encoder_block_branches_have_their_own_weights():
    torch.manual_seed(0)
    block = FDVAEEncoderBlock(8, num_tokens=2)
    mu, sigma = torch.randn(5, 8), torch.randn(2, 5, 8)
    before = block.sigma_delta(sigma, mu)
    with torch.no_grad():
        block.sigma_attn.query_proj.weight[1] += 1.0
        block.sigma_update[0].weight[1] += 1.0
    after = block.sigma_delta(sigma, mu)
    assert torch.equal(before[0], after[0])
    assert not torch.allclose(before[1], after[1])


def test_encoder_block_batch_keys():
    block = FDVAEEncoderBlock(8, sigma_keys='batch')
    mu, sigma = torch.randn(5, 8), torch.randn(2, 5, 8)
    delta = block.sigma_delta(sigma, mu)
    attn = block.sigma_attn.attention_map(sigma[:, None], mu[None, None])
    assert attn.shape == (2, 1, 1, 5, 5)
    expected = torch.relu(
        _linear(block.sigma_update[0], 0, attn[0, 0, 0] @ mu))
    assert torch.allclose(delta[0], expected, atol=1e-5)


def test_encoder_block_literal_channel_readings():
    # mu_keys='own': the mean branch gathers only the pair's own prototype;
    # sigma_keys='channel': the variance branches gate mu channel-wise.
    torch.manual_seed(0)
    block = FDVAEEncoderBlock(8, mu_keys='own', sigma_keys='channel')
    mu, own = torch.randn(5, 8), torch.randn(5, 8)
    gate = block.mu_attn.attention_map(mu[None], own[None])[0]
    assert torch.allclose(
        block.mu_delta(mu, own),
        torch.relu(_linear(block.mu_update[0], 0, gate * own)),
        atol=1e-6)
    sigma = torch.randn(2, 5, 8)
    complement = block.sigma_attn.attention_map(sigma, mu[None])
    assert torch.allclose(
        complement[1], 1 - torch.sigmoid(
            _linear(block.sigma_attn.query_proj, 1, sigma[1]) *
            _linear(block.sigma_attn.key_proj, 1, mu)))
    assert torch.allclose(
        block.sigma_delta(sigma, mu)[0],
        torch.relu(_linear(block.sigma_update[0], 0, complement[0] * mu)),
        atol=1e-6)


def test_encoder_block_bad_config():
    with pytest.raises(ValueError, match='num_tokens'):
        FDVAEEncoderBlock(8, num_tokens=3)
    with pytest.raises(ValueError, match='num_tokens'):
        FDVAEEncoderBlock(8, num_tokens=1)
    with pytest.raises(ValueError, match='sigma_keys'):
        FDVAEEncoderBlock(8, sigma_keys='heads')
    with pytest.raises(ValueError, match='mu_keys'):
        FDVAEEncoderBlock(8, mu_keys='all')
    with pytest.raises(ValueError, match='num_heads'):
        ReferenceAttention(6, num_heads=4)


def _fdvae(**kwargs):
    cfg = dict(in_channels=12, embed_dims=8, num_blocks=2, num_tokens=2)
    cfg.update(kwargs)
    return FDVAE(**cfg)


def test_fdvae_shapes_and_initial_state():
    fdvae = _fdvae()
    feats, prototypes = torch.randn(5, 12), torch.randn(3, 8)
    out = fdvae(feats, prototypes)
    assert out.mu.shape == out.sigma_s.shape == out.sigma_o.shape == (5, 8)
    assert out.recon.shape == (5, 12)
    assert out.shuffled_recon is None and out.shuffle_index is None
    # All three branches start from X(0) = input_proj(f): with one block the
    # outputs differ from it only by their own residual update.
    single = _fdvae(num_blocks=1)
    x0 = single.input_proj(feats)
    mu, sigma = single.encode(feats, prototypes)
    block = single.blocks[0]
    assert torch.allclose(mu, x0 + block.mu_delta(x0, prototypes))
    x0_stack = torch.stack([x0, x0])
    assert torch.allclose(sigma, x0_stack + block.sigma_delta(x0_stack, mu))


def test_fdvae_sigma_ref_final_gathers_from_the_last_mu():
    torch.manual_seed(0)
    fdvae = _fdvae(sigma_ref='final')
    feats, prototypes = torch.randn(5, 12), torch.randn(3, 8)
    mu, sigma = fdvae.encode(feats, prototypes)
    x0 = fdvae.input_proj(feats)
    expected_mu = x0
    for block in fdvae.blocks:
        expected_mu = expected_mu + block.mu_delta(expected_mu, prototypes)
    expected_sigma = torch.stack([x0, x0])
    for block in fdvae.blocks:
        expected_sigma = expected_sigma + block.sigma_delta(
            expected_sigma, expected_mu)
    assert torch.allclose(mu, expected_mu, atol=1e-6)
    assert torch.allclose(sigma, expected_sigma, atol=1e-6)
    with pytest.raises(ValueError, match='sigma_ref'):
        _fdvae(sigma_ref='first')


def test_fdvae_own_prototype_needs_an_index():
    fdvae = _fdvae(mu_keys='own')
    feats, prototypes = torch.randn(4, 12), torch.randn(3, 8)
    out = fdvae(feats, prototypes, proto_index=torch.tensor([0, 2, 1, 2]))
    assert out.mu.shape == (4, 8)
    # Only the pair's own prototype matters.
    moved = prototypes.clone()
    moved[1] += 5
    again = fdvae(feats, moved, proto_index=torch.tensor([0, 2, 0, 2]))
    first = fdvae(feats, prototypes, proto_index=torch.tensor([0, 2, 0, 2]))
    assert torch.equal(again.mu, first.mu)
    with pytest.raises(ValueError, match='proto_index'):
        fdvae(feats, prototypes)
    with pytest.raises(ValueError, match='bg_prototype'):
        fdvae(feats, prototypes, proto_index=torch.tensor([0, -1, 1, 2]))


def test_fdvae_decoder_is_deterministic():
    fdvae = _fdvae()
    feats, prototypes = torch.randn(5, 12), torch.randn(3, 8)
    first = fdvae(feats, prototypes).recon
    torch.manual_seed(123)
    second = fdvae(feats, prototypes).recon
    assert torch.equal(first, second)
    mu, sigma = fdvae.encode(feats, prototypes)
    sigma_s, sigma_o = sigma.unbind(0)
    expected = fdvae.output_proj(
        mu + fdvae.sigma_proj(torch.cat([sigma_s, sigma_o], dim=-1)))
    assert torch.allclose(fdvae.decode(mu, sigma_s, sigma_o), expected)
    assert torch.allclose(first, expected)


def test_fdvae_shuffle_uses_another_sample():
    fdvae = _fdvae()
    feats, prototypes = torch.randn(6, 12), torch.randn(3, 8)
    out = fdvae(feats, prototypes, shuffle=True)
    index = out.shuffle_index
    assert (index != torch.arange(6)).all()
    expected = fdvae.decode(out.mu, out.sigma_s[index], out.sigma_o[index])
    assert torch.allclose(out.shuffled_recon, expected, atol=1e-6)
    single = fdvae(feats[:1], prototypes, shuffle=True)
    assert single.recon.shape == (1, 12) and single.shuffled_recon is None


def test_fdvae_same_width_has_no_projection():
    fdvae = _fdvae(in_channels=8)
    assert isinstance(fdvae.input_proj, torch.nn.Identity)
    assert isinstance(fdvae.output_proj, torch.nn.Identity)


def test_fdvae_switches_build_only_used_modules():
    encoder_only = _fdvae(with_sigma=False, with_decoder=False)
    names = [name for name, _ in encoder_only.named_parameters()]
    assert not any('sigma' in name or 'output_proj' in name for name in names)
    out = encoder_only(torch.randn(4, 12), torch.randn(3, 8), shuffle=True)
    assert out.sigma_s is None and out.recon is None
    with pytest.raises(RuntimeError, match='with_decoder'):
        encoder_only.decode(out.mu, out.mu, out.mu)
    with pytest.raises(ValueError, match='with_sigma'):
        _fdvae(with_sigma=False)
    with pytest.raises(ValueError, match='num_blocks'):
        _fdvae(num_blocks=0)
    with pytest.raises(ValueError, match=r'\(K, 12\)'):
        _fdvae()(torch.randn(4, 10), torch.randn(3, 8))


@pytest.mark.parametrize('sigma_keys', ['tokens', 'batch', 'channel'])
@pytest.mark.parametrize('num', [0, 1])
def test_fdvae_tiny_batches(sigma_keys, num):
    fdvae = _fdvae(sigma_keys=sigma_keys)
    feats = torch.randn(num, 12, requires_grad=True)
    out = fdvae(feats, torch.randn(3, 8), shuffle=True)
    assert out.recon.shape == (num, 12)
    assert torch.isfinite(out.recon).all()
    out.recon.sum().backward()
    assert feats.grad.shape == (num, 12)


def test_random_derangement_never_fixes_a_point():
    for seed in range(200):
        torch.manual_seed(seed)
        num = 2 + seed % 9
        perm = random_derangement(num)
        assert sorted(perm.tolist()) == list(range(num))
        assert (perm != torch.arange(num)).all()
    with pytest.raises(ValueError, match='num >= 2'):
        random_derangement(1)


def test_random_derangement_follows_global_seed():
    torch.manual_seed(7)
    first = random_derangement(10)
    torch.manual_seed(7)
    assert torch.equal(random_derangement(10), first)
    # Every derangement can come out: 4 elements have 9, 5 have 44.
    seen = {tuple(random_derangement(4).tolist()) for _ in range(300)}
    assert len(seen) == 9
    seen = {tuple(random_derangement(5).tolist()) for _ in range(2000)}
    assert len(seen) == 44
