# Ablation (GMM sparsity N): the IMM head predicts only the predicate.
_base_ = '../motifs_rde_predcls.py'

model = dict(relation_head=dict(rde=dict(imm=dict(target='predicate'))))
