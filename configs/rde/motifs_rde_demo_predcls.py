# The CPU demo (configs/demo/motifs_demo_predcls.py) trained with RDE, sized
# for its 256-d relation features: a 64-d latent, otherwise the settings of
# motifs_rde_predcls.py. Tests as plain Motifs (RDE is training-only).
_base_ = '../demo/motifs_demo_predcls.py'

model = dict(
    relation_head=dict(
        rde=dict(
            type='RDE',
            encoder=dict(
                type='FDVAE',
                embed_dims=64,
                num_blocks=6,
                num_heads=1,
                sigma_keys='tokens',
                num_tokens=8,
                normalize_complement=True),
            prototypes=dict(
                type='PrototypeBank',
                cosine_mode='distance',
                cosine_weight=1.0,
                euclidean_weight=1.0,
                init_std=1.0),
            imm=dict(
                type='IMMHead', target='subject_object', hidden_channels=64),
            loss_proto=dict(
                type='PrototypeContrastiveLoss',
                margin=1.0,
                pull_weight=1.0,
                push_weight=1.0,
                loss_weight=1.0),
            loss_re=dict(
                type='ReconstructionLoss',
                mse_weight=1.0,
                cosine_weight=1.0,
                detach_target=True,
                loss_weight=1.0),
            loss_info=dict(type='CrossEntropyLoss', loss_weight=1.0),
            loss_pred=dict(type='CrossEntropyLoss', loss_weight=1.0),
            shuffle=True,
            fg_only=True,
            bg_prototype=False)))
