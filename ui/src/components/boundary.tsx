import { Component, type ComponentChildren } from 'preact';

/** Keeps a page's rendering failure on that page: the frame and navigation stay usable, and the error is named. */
export class PageBoundary extends Component<{ children: ComponentChildren }, { error: Error | null }> {
  override state = { error: null as Error | null };

  override componentDidCatch(error: Error): void {
    this.setState({ error });
  }

  override render() {
    if (this.state.error) {
      return (
        <div class="notice error" role="alert">
          <strong>This page failed to draw.</strong> {this.state.error.message}
        </div>
      );
    }
    return this.props.children;
  }
}
