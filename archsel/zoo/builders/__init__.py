"""Model builders (these import torch). Each returns an nn.Module; weights are never downloaded."""
