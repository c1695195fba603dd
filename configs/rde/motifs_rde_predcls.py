# Motifs PredCls trained with RDE (docs/rde.md). RDE is training-only: the
# trained model tests, and deploys, as plain Motifs. The head fills in
# in_channels (4096), num_predicates (51) and num_classes (150).
_base_ = '../motifs/motifs_x101_fpn_predcls_vg150.py'

model = dict(
    relation_head=dict(
        rde=dict(
            type='RDE',
            encoder=dict(
                type='FDVAE',
                embed_dims=512,
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
                type='IMMHead', target='subject_object', hidden_channels=512),
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
